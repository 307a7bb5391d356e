"""PNG charts for ``/project insights`` (Pillow, its built-in bitmap font): the trend across delivered
projects — the average rating per project as a line (1 to 5) over the tokens each used as bars."""

from __future__ import annotations

import io
from typing import Any

WIDTH, HEIGHT = 720, 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 64, 40, 56
INK, GRID, BARS, LINE = (33, 37, 41), (222, 226, 230), (173, 200, 235), (214, 51, 108)


def trend_chart(delivered: list[dict[str, Any]]) -> bytes:
    """The chart of ``delivered`` (``project``, ``rating`` or ``None``, ``tokens``), in delivery order, as PNG."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    draw.text(
        (left, 12), "Delivered projects: average rating (line, left) and tokens (bars, right)", fill=INK, font=font
    )
    for rating in range(1, 6):
        y = bottom - (rating - 1) / 4 * (bottom - top)
        draw.line([(left, y), (right, y)], fill=GRID)
        draw.text((left - 16, y - 6), str(rating), fill=LINE, font=font)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK)
    count = max(len(delivered), 1)
    slot = (right - left) / count
    most = max([int(d.get("tokens") or 0) for d in delivered] + [1])
    draw.text((right + 6, top - 6), f"{most:,}", fill=INK, font=font)
    draw.text((right + 6, bottom - 6), "0", fill=INK, font=font)
    points = []
    for index, project in enumerate(delivered):
        middle = left + slot * (index + 0.5)
        height = int(project.get("tokens") or 0) / most * (bottom - top)
        draw.rectangle([(middle - slot * 0.3, bottom - height), (middle + slot * 0.3, bottom - 1)], fill=BARS)
        name = str(project.get("project") or "")[:18]
        draw.text((middle - len(name) * 3, bottom + 8), name, fill=INK, font=font)
        rated = project.get("rating")
        if rated is not None:
            y = bottom - (float(rated) - 1) / 4 * (bottom - top)
            points.append((middle, y, float(rated)))
    if len(points) > 1:
        draw.line([(x, y) for x, y, _ in points], fill=LINE, width=3)
    for x, y, value in points:
        draw.ellipse([(x - 5, y - 5), (x + 5, y + 5)], fill=LINE)
        draw.text((x + 8, y - 14), f"{value:.1f}", fill=LINE, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
