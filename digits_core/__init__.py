"""Code shared by training and serving: image decoding/normalisation, segmentation, errors."""
