"""Open data: OCDS 1.1 releases, record and release packages, JSON Lines (DESIGN.md §6)."""

from .extensions import EXTENSIONS, extension_urls
from .packages import DEFAULT_PUBLICATION, Publication, compile_record, jsonl, record_package, release_package
from .releases import AWARD_CRITERIA, TENDER_STATUS, document_url, ocid_for, public_view, release_for

__all__ = [
    "AWARD_CRITERIA", "DEFAULT_PUBLICATION", "EXTENSIONS", "TENDER_STATUS", "Publication", "compile_record",
    "document_url", "extension_urls", "jsonl", "ocid_for", "public_view", "record_package", "release_for",
    "release_package",
]
