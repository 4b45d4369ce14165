"""tenderproof: public procurement on a verifiable transparency log."""

__version__ = "0.1.0"
