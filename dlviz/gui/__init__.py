"""The Qt window: one pane per module; panes read the session and ask it to change."""
