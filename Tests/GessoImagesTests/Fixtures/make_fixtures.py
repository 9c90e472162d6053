#!/usr/bin/env python3
"""Makes the image fixtures for GessoImagesTests from scikit-image's sample photos.

Run it from anywhere (needs Pillow: `pip install pillow`); the tests only read the files it writes,
which are committed, so neither Python nor Pillow is needed at test time.

    pip download --no-deps -d /tmp/skimg scikit-image
    unzip -o -q /tmp/skimg/scikit_image-*.whl 'skimage/data/*' -d /tmp/skimg/x
    python3 make_fixtures.py /tmp/skimg/x/skimage/data

Every variant below is described in README.md, with what the tests expect from it.
"""
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parent


def alpha_at(x, y):
    """The alpha pattern of the *-alpha fixtures; the tests compute the same formula."""
    return (7 * x + 3 * y) % 256


def with_alpha(im):
    """`im` (L or RGB) with the alpha_at pattern as an extra channel (LA or RGBA)."""
    alpha = Image.new("L", im.size)
    alpha.putdata([alpha_at(x, y) for y in range(im.height) for x in range(im.width)])
    out = im.copy()
    out.putalpha(alpha)
    return out


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def write_png_rgb16(path, im):
    """A 16-bit RGB PNG (Pillow cannot write one) whose samples are the 8-bit ones times 257,
    so that scaling back to 8 bits gives the 8-bit image exactly."""
    raw = bytearray()
    pixels = im.load()
    for y in range(im.height):
        raw.append(0)  # filter type None
        for x in range(im.width):
            for v in pixels[x, y]:
                raw += struct.pack(">H", v * 257)
    ihdr = struct.pack(">IIBBBBB", im.width, im.height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
                     + png_chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + png_chunk(b"IEND", b""))


def exif_orientation_segment(orientation, big_endian):
    """An APP1 'Exif' segment whose IFD0 holds only the orientation tag (0x0112, SHORT, count 1)."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 1)  # one entry
    tiff += struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "HH", orientation, 0)
    tiff += struct.pack(e + "I", 0)  # no next IFD
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def write_jpeg_with_orientation(path, stored, orientation, big_endian):
    """Saves `stored` as a baseline JPEG with an EXIF orientation segment right after SOI."""
    tmp = path.with_suffix(".tmp.jpg")
    stored.save(tmp, quality=95)
    data = tmp.read_bytes()
    tmp.unlink()
    assert data[:2] == b"\xff\xd8"
    path.write_bytes(data[:2] + exif_orientation_segment(orientation, big_endian) + data[2:])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixtures.py SKIMAGE_DATA_FOLDER (see the docstring)")
    src = Path(sys.argv[1])

    # References: small copies of the photos, stored as PNG plus raw bytes (the raw bytes anchor the PNG decoder).
    chelsea = Image.open(src / "chelsea.png").convert("RGB").resize((160, 106), Image.LANCZOS)
    # A pure red 16x16 square in the top-left corner (one whole JPEG block) shows where the corner went.
    chelsea.paste((255, 0, 0), (0, 0, 16, 16))
    chelsea.save(OUT / "chelsea.png")
    (OUT / "chelsea.rgb").write_bytes(chelsea.tobytes())

    camera = Image.open(src / "camera.png").convert("L").resize((128, 128), Image.LANCZOS)
    camera.save(OUT / "camera.png")
    (OUT / "camera.gray").write_bytes(camera.tobytes())

    coffee = Image.open(src / "coffee.png").convert("RGB").resize((150, 100), Image.LANCZOS)

    # PNG variants.
    with_alpha(chelsea).save(OUT / "chelsea-rgba.png")
    write_png_rgb16(OUT / "chelsea-rgb16.png", chelsea)
    with_alpha(camera).save(OUT / "camera-grey-alpha.png")

    palette = coffee.quantize(colors=200, method=Image.MEDIANCUT)
    palette.save(OUT / "coffee-palette.png")
    palette.convert("RGB").save(OUT / "coffee-palette.expected.png")
    # Palette entries 0..99 get alpha 2*index, the rest stay opaque (a tRNS chunk of 100 entries).
    palette.save(OUT / "coffee-palette-alpha.png", transparency=bytes(2 * i for i in range(100)))
    Image.open(OUT / "coffee-palette-alpha.png").convert("RGBA").save(OUT / "coffee-palette-alpha.expected.png")

    # JPEG variants, all at quality 95.
    chelsea.save(OUT / "chelsea-baseline.jpg", quality=95)
    chelsea.save(OUT / "chelsea-progressive.jpg", quality=95, progressive=True)
    camera.save(OUT / "camera-grey.jpg", quality=95)
    # Pillow's RGB -> CMYK is C = 255 - R, M = 255 - G, Y = 255 - B, K = 0; it writes the inverted
    # (Adobe) convention with an Adobe APP14 marker, as Photoshop does.
    chelsea.convert("CMYK").save(OUT / "chelsea-cmyk.jpg", quality=95)
    # Stored turned so that applying the orientation gives chelsea back:
    # 6 = rotate 90 degrees clockwise to display (little-endian EXIF), 3 = rotate 180 (big-endian EXIF).
    write_jpeg_with_orientation(OUT / "chelsea-orientation6.jpg", chelsea.transpose(Image.ROTATE_90), 6, False)
    write_jpeg_with_orientation(OUT / "chelsea-orientation3.jpg", chelsea.transpose(Image.ROTATE_180), 3, True)

    # A real-world JPEG as published (ICC profile, comment, 4:2:0), and what Pillow decodes it to.
    shutil.copyfile(src / "rocket.jpg", OUT / "rocket.jpg")
    rocket = Image.open(OUT / "rocket.jpg").convert("RGB")
    pixels = rocket.load()
    samples = [[x, y, *pixels[x, y]] for x, y in [(0, 0), (100, 50), (320, 213), (500, 400), (639, 426)]]
    rgb = rocket.tobytes()
    means = [sum(rgb[c::3]) / (rocket.width * rocket.height) for c in range(3)]
    expected = {"rocket.jpg": {"width": rocket.width, "height": rocket.height, "channels": 3,
                               "mean": [round(m, 3) for m in means], "samples": samples}}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")

    (OUT / "notes.txt").write_text("This is a text file, not an image: reading it must fail.\n")

    # How far Pillow's own decode of each JPEG is from its source, for choosing the tests' tolerances.
    def mean_abs_diff(a, b):
        return sum(abs(p - q) for p, q in zip(a.tobytes(), b.tobytes())) / len(a.tobytes())
    for name, ref in [("chelsea-baseline.jpg", chelsea), ("chelsea-progressive.jpg", chelsea),
                      ("camera-grey.jpg", camera), ("chelsea-cmyk.jpg", chelsea)]:
        print(f"{name}: mean abs diff from source {mean_abs_diff(Image.open(OUT / name).convert(ref.mode), ref):.3f}")
    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"fixtures: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
