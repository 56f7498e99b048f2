"""No module imports a private (underscore) name of another app, nor anything private of inclusion.views: what
apps share is public (inclusion/web.py, inclusion/imports.py, inclusion/forms/base.py ...). Read from the source,
so a new borrowing fails here before review."""

import ast
from pathlib import Path

from django.conf import settings

APPS = ("inclusion", "devices", "referrals")


def _absolute(relative: Path, node: ast.ImportFrom) -> str:
    """The module an import names, made absolute ("from ..models import x" in devices/views/stock.py is
    devices.models)."""
    if not node.level:
        return node.module or ""
    package = list(relative.parts[:-1])
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def borrowed_private_names(root: Path) -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ImportFrom):
                    continue
                module = _absolute(relative, node)
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and (module.split(".")[0] != app or module == "inclusion.views"):
                        found.append(f"{relative}:{node.lineno} {module}.{alias.name}")
    return found


def test_no_app_imports_a_private_name_of_another_or_of_the_core_views():
    assert borrowed_private_names(Path(settings.BASE_DIR)) == []


def test_the_check_sees_a_borrowing(tmp_path):
    (tmp_path / "devices" / "views").mkdir(parents=True)
    (tmp_path / "devices" / "views" / "borrowing.py").write_text(
        "from inclusion.views import _resident_page\nfrom ..services import _refuse\nfrom referrals.models import _x\n"
    )
    (tmp_path / "inclusion").mkdir()
    (tmp_path / "inclusion" / "web.py").write_text("from .views import _resident_page\n")
    assert borrowed_private_names(tmp_path) == [  # an app's own private names are its own business
        "inclusion/web.py:1 inclusion.views._resident_page",
        "devices/views/borrowing.py:1 inclusion.views._resident_page",
        "devices/views/borrowing.py:3 referrals.models._x",
    ]
