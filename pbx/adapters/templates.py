"""Find and read the Asterisk config and dialplan templates."""

from __future__ import annotations

from pathlib import Path

TEMPLATE_DIRS = ("asterisk-conf", "dialplan")


def template_root() -> Path:
    """The folder holding `asterisk-conf/` and `dialplan/`: the source tree, or the installed wheel."""
    here = Path(__file__).resolve()
    for base in (here.parents[2], here.parents[1] / "_templates"):
        if all((base / name).is_dir() for name in TEMPLATE_DIRS):
            return base
    raise FileNotFoundError(
        f"pbx: templates not found (looked for {', '.join(TEMPLATE_DIRS)} next to the pbx package)"
    )


def load_templates() -> dict[str, str]:
    """Every `*.conf` and `*.conf.j2` of `asterisk-conf/` and `dialplan/`, by file name.

    Names must be unique across both folders (they become files of one directory).
    """
    root = template_root()
    out: dict[str, str] = {}
    for folder in TEMPLATE_DIRS:
        for path in sorted((root / folder).iterdir()):
            if not path.is_file() or not path.name.endswith((".conf", ".conf.j2")):
                continue
            if path.name in out:
                raise ValueError(f"pbx: template {path.name} exists in more than one folder")
            out[path.name] = path.read_text()
    return out
