"""Environment to image: kinds (one module each), templates, content-addressed cache, builds with progress."""
