"""The image and what the mouse does on it: canvas, tools, point flow, class chooser, side panels, predictions."""
