"""Resource groups: one module per API area, attached to the client as attributes."""
