"""The fixture images: smooth photo-like scenes (gradients, shapes, soft noise) in every format and size the
parity test covers. Deterministic for a seed."""
import io
import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def scene(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([
        120 + 100 * np.sin(x / width * rng.uniform(2, 6) + rng.uniform(0, 6)),
        120 + 100 * np.cos(y / height * rng.uniform(2, 6) + rng.uniform(0, 6)),
        120 + 80 * np.sin((x + y) / (width + height) * rng.uniform(3, 9)),
    ], axis=-1)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.03, 0.2) * min(width, height)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        else:
            draw.rectangle([cx - r, cy - r * 0.6, cx + r, cy + r * 0.6], fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(radius=max(1.0, min(width, height) / 400)))
    noise = rng.normal(0, 2, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8))


def exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def make_images(folder: pathlib.Path) -> dict:
    """Writes the images; returns name → what it covers."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {}

    def save(name, img, what, **options):
        img.save(folder / name, **options)
        made[name] = what

    save("photo-1000x750.jpg", scene(1000, 750, 1), "ordinary sRGB photo, JPEG", quality=90)
    save("photo-600x800.png", scene(600, 800, 2), "portrait, PNG")
    save("large-5600x3150.jpg", scene(5600, 3150, 3), "> 5000 px JPEG (no shrink-on-load)", quality=80)
    save("small-200x125.png", scene(200, 125, 4), "200×125: upscaled")
    save("odd-800x607.jpg", scene(800, 607, 5), "800×607: CLIP's floor centre crop differs from round-half-even", quality=92)
    save("gray-640x480.png", scene(640, 480, 6).convert("L"), "grayscale")
    save("palette-500x400.png", scene(500, 400, 7).quantize(64), "palette PNG")
    rgba = scene(600, 400, 8).convert("RGBA")
    alpha = np.zeros((400, 600), dtype=np.uint8)
    alpha[:, 150:] = 255
    alpha[100:300, 300:450] = 96
    rgba.putalpha(Image.fromarray(alpha))
    save("rgba-600x400.png", rgba, "RGBA PNG with transparent and half-transparent areas")
    save("cmyk-640x480.jpg", scene(640, 480, 9).convert("CMYK"), "CMYK JPEG", quality=92)
    wide = (np.asarray(scene(400, 300, 10), dtype=np.uint16) * 257 + np.random.default_rng(10).integers(0, 257, (300, 400, 3), dtype=np.uint16))
    png16 = io.BytesIO()
    _write_png16(wide, png16)
    (folder / "rgb16-400x300.png").write_bytes(png16.getvalue())
    made["rgb16-400x300.png"] = "16-bit RGB PNG"
    save("exif6-640x480.jpg", scene(640, 480, 11), "EXIF orientation 6 (stored 640×480, shown 480×640)", quality=92, exif=exif_orientation(6))
    return made


def _write_png16(rgb16: np.ndarray, out) -> None:
    """Pillow cannot write 16-bit RGB PNGs; a minimal encoder does (zlib, filter 0)."""
    import struct
    import zlib

    height, width, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[row].astype(">u2").tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
