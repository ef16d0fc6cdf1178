"""Pages of the label area. Views stay thin: rules are in ``label.services`` (writes) and
``label.selectors`` (reads); permissions in ``label.perms``."""
