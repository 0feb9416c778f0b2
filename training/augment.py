"""On-the-fly augmentation of MNIST batches, as TensorFlow ops on float32 [B, 28, 28, 1] in 0..1.

The default model must read real inputs after our preprocessing (scans, phone photos, canvas
drawings), which differ from MNIST in exactly these ways: residual misalignment and slant, size
and aspect after the 20 px box, pen width, pen skips, focus blur, sensor noise and ink contrast.
Each image draws its own parameters; every change is mild enough that the digit keeps its label.
"""

import math

import tensorflow as tf

MAX_ROTATION = math.radians(15)
MAX_SHEAR = 0.15
ZOOM = (0.88, 1.12)
ASPECT = (0.9, 1.1)
MAX_SHIFT = 2.5  # pixels
GAMMA = (0.6, 1.5)
BREAK_ROWS = (0.3, 0.7)  # where a pen skip crosses the digit, as a share of the height
BREAK_CHANCE = 0.15
MAX_NOISE = 0.06
CENTRE = 13.5


def uniform(batch: tf.Tensor, low: float, high: float) -> tf.Tensor:
    return tf.random.uniform([batch], low, high)


def chance(batch: tf.Tensor, probability: float) -> tf.Tensor:
    """Per-image booleans [B, 1, 1, 1], true with `probability`."""
    return tf.reshape(tf.random.uniform([batch]) < probability, [-1, 1, 1, 1])


def random_affine(images: tf.Tensor) -> tf.Tensor:
    """Rotation, shear, zoom, aspect and shift in one resampling (so blur is applied once).

    The transform maps each output pixel to the input pixel it samples:
    input = centre + A · (output − centre) − shift, with A = rotation · shear · diag(1/zoom).
    """
    batch = tf.shape(images)[0]
    angle = uniform(batch, -MAX_ROTATION, MAX_ROTATION)
    shear = uniform(batch, -MAX_SHEAR, MAX_SHEAR)
    zoom = uniform(batch, *ZOOM)
    aspect = uniform(batch, *ASPECT)
    zoom_x, zoom_y = zoom * aspect, zoom / aspect
    shift_x = uniform(batch, -MAX_SHIFT, MAX_SHIFT)
    shift_y = uniform(batch, -MAX_SHIFT, MAX_SHIFT)
    cos, sin = tf.cos(angle), tf.sin(angle)
    a00 = cos / zoom_x
    a01 = (cos * shear - sin) / zoom_y
    a10 = sin / zoom_x
    a11 = (sin * shear + cos) / zoom_y
    offset_x = CENTRE - a00 * CENTRE - a01 * CENTRE - shift_x
    offset_y = CENTRE - a10 * CENTRE - a11 * CENTRE - shift_y
    zeros = tf.zeros_like(angle)
    transforms = tf.stack([a00, a01, offset_x, a10, a11, offset_y, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def random_stroke_width(images: tf.Tensor) -> tf.Tensor:
    """Thicker or thinner pens: grey dilation (max-pool) or erosion (min-pool), stride 1."""
    batch = tf.shape(images)[0]

    def dilate(size: int) -> tf.Tensor:
        return tf.nn.max_pool2d(images, size, strides=1, padding="SAME")

    def erode(size: int) -> tf.Tensor:
        return -tf.nn.max_pool2d(-images, size, strides=1, padding="SAME")

    choice = tf.reshape(tf.random.uniform([batch], 0, 1), [-1, 1, 1, 1])
    # 50 % unchanged, 20 % 2×2 dilation, 10 % 3×3 dilation, 20 % 2×2 erosion.
    out = tf.where(choice < 0.2, dilate(2), images)
    out = tf.where((choice >= 0.2) & (choice < 0.3), dilate(3), out)
    return tf.where((choice >= 0.3) & (choice < 0.5), erode(2), out)


def random_breaks(images: tf.Tensor) -> tf.Tensor:
    """A pen that skipped: a band of one or two rows erased across some digits."""
    batch = tf.shape(images)[0]
    size = tf.shape(images)[1]
    start = tf.cast(uniform(batch, *BREAK_ROWS) * tf.cast(size, tf.float32), tf.int32)
    band = tf.random.uniform([batch], 1, 3, dtype=tf.int32)
    rows = tf.range(size)[tf.newaxis, :]
    erased = (rows >= start[:, tf.newaxis]) & (rows < (start + band)[:, tf.newaxis])
    keep = tf.reshape(tf.cast(~erased, images.dtype), [-1, size, 1, 1])
    return tf.where(chance(batch, BREAK_CHANCE), images * keep, images)


def random_blur(images: tf.Tensor) -> tf.Tensor:
    """Mild defocus on a third of the images: a random blend with a 3×3 Gaussian blur."""
    batch = tf.shape(images)[0]
    kernel_1d = tf.constant([0.25, 0.5, 0.25])
    kernel = tf.reshape(tf.tensordot(kernel_1d, kernel_1d, axes=0), [3, 3, 1, 1])
    blurred = tf.nn.conv2d(images, kernel, strides=1, padding="SAME")
    amount = tf.reshape(uniform(batch, 0.0, 1.0), [-1, 1, 1, 1])
    return tf.where(chance(batch, 1 / 3), images + amount * (blurred - images), images)


def random_intensity(images: tf.Tensor) -> tf.Tensor:
    """Ink contrast (gamma), then sensor noise on some images, clipped back to 0..1."""
    batch = tf.shape(images)[0]
    gamma = tf.reshape(
        tf.exp(uniform(batch, math.log(GAMMA[0]), math.log(GAMMA[1]))), [-1, 1, 1, 1]
    )
    images = tf.pow(tf.clip_by_value(images, 0.0, 1.0), gamma)
    sigma = tf.reshape(uniform(batch, 0.0, MAX_NOISE), [-1, 1, 1, 1])
    noise = tf.random.normal(tf.shape(images)) * sigma
    images = tf.where(chance(batch, 0.3), images + noise, images)
    return tf.clip_by_value(images, 0.0, 1.0)


def augment_batch(images: tf.Tensor) -> tf.Tensor:
    """Augment a batch of model inputs [B, 28, 28, 1] in 0..1."""
    images = random_stroke_width(images)
    images = random_breaks(images)
    images = random_affine(images)
    images = random_blur(images)
    return random_intensity(images)
