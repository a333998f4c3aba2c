"""The data pages read: the warehouse handle (one snapshot per run) and the cached functions
that call metrics/, keyed by snapshot, filters and, for management data, the viewer's role."""
