"""Open data: OCDS 1.1 releases, record and release packages, JSON Lines (DESIGN.md §6)."""

from .packages import BIDS_EXTENSION, DEFAULT_EXTENSIONS, compile_record, jsonl, record_package, release_package
from .releases import AWARD_CRITERIA, TENDER_STATUS, document_url, ocid_for, public_view, release_for

__all__ = [
    "AWARD_CRITERIA", "BIDS_EXTENSION", "DEFAULT_EXTENSIONS", "TENDER_STATUS", "compile_record", "document_url",
    "jsonl", "ocid_for", "public_view", "record_package", "release_for", "release_package",
]
