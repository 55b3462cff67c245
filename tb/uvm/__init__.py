"""pyuvm verification environment of romformer_top (docs/testplan.hjson maps features to tests)."""
