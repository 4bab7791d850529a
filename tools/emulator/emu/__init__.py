"""Building blocks of the local AWS HealthOmics emulator."""
