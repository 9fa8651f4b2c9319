"""What the locks contain and weigh: the dependency graph, why/tree, the audit and its renderers."""
