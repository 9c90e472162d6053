#!/usr/bin/env python3
"""Makes the photo fixtures of EfficientNetTests from scikit-image's sample photos (see README-photos.md).

Needs Pillow; the tests only read the files it writes, which are committed.

    pip download --no-deps -d /tmp/skimg scikit-image
    unzip -o -q /tmp/skimg/scikit_image-*.whl 'skimage/data/*' -d /tmp/skimg/x
    python3 make_photos.py /tmp/skimg/x/skimage/data

Each photo is shrunk (Lanczos) so its shorter side is 256 px, the size EfficientNet-Lite0's preprocessing resizes
to anyway, and saved as a JPEG of quality 90.
"""
import sys
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parent / "photos"


def main():
    src = Path(sys.argv[1])
    OUT.mkdir(exist_ok=True)
    for name in ["chelsea", "coffee"]:
        im = Image.open(src / f"{name}.png").convert("RGB")
        scale = 256 / min(im.size)
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
        im.save(OUT / f"{name}.jpg", quality=90)
        print(name, im.size)


if __name__ == "__main__":
    main()
