"""Every data file the package reads at run time ships in its wheel (pyproject package-data)."""

import fnmatch
import tomllib

from dataraum_assets_tests.pipeline import REPO_ROOT

PACKAGE = REPO_ROOT / "dataraum_assets"


def test_every_non_python_file_is_package_data() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["dataraum_assets"]
    data_files = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    )
    assert data_files, "the package has data files (vocabularies, checks, contracts)"
    missing = [f for f in data_files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert missing == []
