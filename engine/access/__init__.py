"""Who may act: users, their roles, API tokens, and who holds a work item."""
