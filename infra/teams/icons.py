"""The app's two icons, drawn without image libraries: a white fault bolt on the accent colour (192×192) and
the same bolt as a white outline on transparency (32×32), as Teams requires.

Run `python -m infra.teams.icons` to redraw color.png and outline.png beside this file.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ACCENT = (0xC4, 0x31, 0x4B)
WHITE = (255, 255, 255)
BOLT = ((0.58, 0.06), (0.24, 0.56), (0.47, 0.56), (0.38, 0.94), (0.78, 0.40), (0.54, 0.40), (0.66, 0.06))
"""A lightning bolt, in fractions of the icon's size."""


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An RGBA PNG from rows of width × 4 bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def inside(x: float, y: float, polygon: tuple[tuple[float, float], ...]) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def coverage(size: int, px: int, py: int, samples: int = 4) -> float:
    """Share of a pixel inside the bolt (anti-aliasing by supersampling)."""
    points = [((px + (i + 0.5) / samples) / size, (py + (j + 0.5) / samples) / size)
              for i in range(samples) for j in range(samples)]
    return sum(inside(x, y, BOLT) for x, y in points) / len(points)


def color_icon(size: int = 192) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            c = coverage(size, px, py)
            row += bytes(round(a * (1 - c) + w * c) for a, w in zip(ACCENT, WHITE, strict=True)) + b"\xff"
        rows.append(bytes(row))
    return png(size, size, rows)


def outline_icon(size: int = 32) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            row += bytes(WHITE) + bytes([round(255 * coverage(size, px, py))])
        rows.append(bytes(row))
    return png(size, size, rows)


def main() -> None:
    here = Path(__file__).parent
    (here / "color.png").write_bytes(color_icon())
    (here / "outline.png").write_bytes(outline_icon())


if __name__ == "__main__":
    main()
