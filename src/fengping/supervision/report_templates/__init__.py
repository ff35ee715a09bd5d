"""The 工作进展情况报告表 as a document: its DOCX (through the reports app's templates,
key `sv-monthly`, default written by `build.py`) and its XLSX (`monthly`)."""
