"""The window's shell: the main window, its actions and handlers, status bar words, shortcut sheet, error hook."""
