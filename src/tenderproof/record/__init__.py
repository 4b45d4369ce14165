"""The administrative record (DESIGN.md §1, §4): one tender's events, proofs, documents and,
for a court or an auditor, its confidential payloads, exported as one bundle anyone verifies
offline; and the litigation holds that keep a record from being purged."""

from .bundle import ROLES, RecordError
from .export import Exported, export_record
from .retention import holds, lift_hold, place_hold, purge_documents
from .verify import Line, Report, verify_record

__all__ = [
    "ROLES", "Exported", "Line", "RecordError", "Report", "export_record", "holds", "lift_hold", "place_hold",
    "purge_documents", "verify_record",
]
