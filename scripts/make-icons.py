#!/usr/bin/env python3
"""Draws the app icons (public/icons/*.png) with the standard library only.

A white clipboard with a green check mark on the alliance green. Re-run after
changing the drawing; the PNGs are committed so builds need nothing but Trunk.
"""
import pathlib
import struct
import zlib

GREEN = (11, 93, 59)
WHITE = (255, 255, 255)
GOLD = (245, 190, 40)


def png(path, size, pixel):
    raw = bytearray()
    for y in range(size):
        raw.append(0)
        for x in range(size):
            raw.extend(pixel(x / size, y / size))
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def near_segment(px, py, ax, ay, bx, by, width):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    cx, cy = ax + t * dx, ay + t * dy
    return (px - cx) ** 2 + (py - cy) ** 2 <= width * width


def icon(scale):
    """scale < 1 shrinks the drawing into the maskable safe zone."""
    def pixel(x, y):
        x = 0.5 + (x - 0.5) / scale
        y = 0.5 + (y - 0.5) / scale
        if 0.40 <= x <= 0.60 and 0.14 <= y <= 0.24:
            return GOLD  # clipboard clip
        if 0.24 <= x <= 0.76 and 0.19 <= y <= 0.86:
            if near_segment(x, y, 0.34, 0.53, 0.46, 0.66, 0.045) or near_segment(x, y, 0.46, 0.66, 0.67, 0.38, 0.045):
                return GREEN
            return WHITE
        return GREEN
    return pixel


out = pathlib.Path(__file__).resolve().parent.parent / "public" / "icons"
out.mkdir(parents=True, exist_ok=True)
png(out / "icon-192.png", 192, icon(1.0))
png(out / "icon-512.png", 512, icon(1.0))
png(out / "icon-maskable-512.png", 512, icon(0.75))
print("icons written to", out)
