"""The app layer: commands through the domain into the ledger and the projections, one transaction each."""
