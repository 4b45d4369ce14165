"""OCDS red flags (R001–R073 codes) computed as Cardinal (`ocdscardinal indicators`) does.

`run(path, settings_path, map=…, no_meta=…)` reads OCDS data (JSON Lines of compiled releases,
release or record packages, arrays, OCDS 1.0 or 1.1), flattens it into DuckDB and returns
Cardinal's output object with the list of problems met. See docs/flags.md.
"""

from tenderproof.flags.engine import compute, run
from tenderproof.flags.settings import CODES, Settings, SettingsError, load_settings, parse_settings

__all__ = ["CODES", "Settings", "SettingsError", "compute", "load_settings", "parse_settings", "run"]
