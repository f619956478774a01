"""The Teams edge: HTTP and wire concerns of incoming activities."""
