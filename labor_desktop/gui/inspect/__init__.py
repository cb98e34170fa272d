"""Looking at results: the Fig. 6 view, the history chart, export."""
