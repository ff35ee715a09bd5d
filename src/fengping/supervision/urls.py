import pkgutil
from importlib import import_module

from . import views

app_name = "supervision"

urlpatterns: list = []
for _info in sorted(pkgutil.iter_modules(views.__path__), key=lambda m: m.name):
    urlpatterns += getattr(import_module(f"{views.__name__}.{_info.name}"), "urlpatterns", [])
