"""The supervision documents' default DOCX templates and their contexts: the
工作进展情况报告表 (`monthly`, key `sv-monthly`, written by `build.py`) and the annual
evaluation's 考核情况通报 (`evaluation`, key `evaluation`)."""
