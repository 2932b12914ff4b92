"""RowGrid: a fixed-column grid of text rows with row and column cursors, each row rendered once."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui import text


class Column(NamedTuple):
    """A column: its key, header label and content width in cells (each side gets one cell of padding)."""

    key: str
    label: str
    width: int


class Cell(NamedTuple):
    """One cell: text shown as it is (never parsed as markup), a Rich style from our own code (never from
    data), and whether it is right-justified (numbers)."""

    text: str
    style: str = ""
    right: bool = False


def cell(value: Any, *, max_len: int | None = 120, style: str = "") -> Cell:
    """Any value as a grid cell through the same sanitizer as every other table (``tui.text``): control
    characters escaped, numbers right-justified."""
    is_number = isinstance(value, int) and not isinstance(value, bool)
    return Cell(text.plain(value, max_len), style, is_number)


@lru_cache(maxsize=256)
def _style(spec: str) -> Style:
    return Style.parse(spec) if spec else Style()


def _fit(value: str, width: int, right: bool) -> str:
    """``value`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if not value.isprintable():
        # Defence in depth: a Cell built without `cell()` must still never send an escape to the terminal.
        value = text.printable(value)
    if value.isascii() and len(value) <= width:  # the common case: one cell per character
        return value.rjust(width) if right else value.ljust(width)
    if cell_len(value) > width:
        value = set_cell_size(value, max(0, width - 1)) + "…"
    pad = " " * (width - cell_len(value))
    return pad + value if right else value + pad


_EMPTY = Cell("")

# Component classes, in the order their styles are fingerprinted (see `render_lines`).
_COMPONENTS = (
    "rowgrid--header",
    "rowgrid--header-cursor",
    "rowgrid--odd-row",
    "rowgrid--even-row",
    "rowgrid--cursor",
    "rowgrid--cursor-cell",
)


class RowGrid(ScrollView, can_focus=True):
    """Rows of cells under a fixed header; row and column cursors.

    Speed is the point: a row becomes a full-width :class:`Strip` the first time it is shown and stays
    cached until :meth:`set_rows` or a style change, so scrolling only picks strips and crops them; a
    cursor move repaints just the two rows involved unless it scrolls.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("left", "cursor_left", "Cursor left", show=False),
        Binding("right", "cursor_right", "Cursor right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = set(_COMPONENTS)

    # The same look as Textual's DataTable, so the grid sits well beside the app's other tables.
    DEFAULT_CSS = """
    RowGrid {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .rowgrid--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .rowgrid--cursor-cell {
                background: $accent;
                color: $text;
                text-style: bold;
            }
            & > .rowgrid--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .rowgrid--even-row {
            background: $surface-darken-1 40%;
        }
        & > .rowgrid--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .rowgrid--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .rowgrid--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .rowgrid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .rowgrid--cursor-cell {
            background: $accent 50%;
            color: $foreground;
        }
        & > .rowgrid--header-cursor {
            background: $accent-darken-1;
            color: $foreground;
        }
    }
    """

    class Selected(Message):
        """Enter (or a click on the cursor row): the row's index."""

        def __init__(self, grid: RowGrid, row: int) -> None:
            super().__init__()
            self.grid = grid
            self.row = row

        @property
        def control(self) -> RowGrid:
            return self.grid

    def __init__(
        self,
        columns: Sequence[Column | tuple[str, str, int]],
        *,
        zebra_stripes: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = [Column(*c) for c in columns]
        self.zebra_stripes = zebra_stripes
        # Left edge of each column (with its padding) in the full-width line, and the line's width.
        self._x: list[int] = []
        x = 0
        for column in self.columns:
            self._x.append(x)
            x += column.width + 2
        self._width = x
        self._rows: list[Sequence[Cell]] = []
        self._cursor_row = 0
        self._cursor_column = 0
        self._strips: dict[int, Strip] = {}  # row -> its (zebra) strip: the cache that makes this fast
        self._cursor_strip: tuple[tuple[int, int], Strip] | None = None  # only one row wears the cursor
        self._header: tuple[int, Strip] | None = None
        self._styles: tuple[Style, ...] = ()  # the component styles the cached strips were made with
        self._style_key: tuple[object, ...] = ()  # what the component styles depend on (_check_styles)
        self._view: tuple[int, int, int] | None = None  # scroll x, scroll y and width during a paint
        self._warm_from = 0  # rows before this one have been rendered ahead of being shown
        self.virtual_size = Size(self._width, 1)

    @property
    def allow_select(self) -> bool:
        return False  # no mouse text selection: the strips carry no offsets for it, a click moves the cursor

    # -- data ------------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor_row

    @property
    def cursor_column(self) -> int:
        """Index of the current column (left / right move it), as DataTable's ``cursor_column``."""
        return self._cursor_column

    def get_row_at(self, row: int) -> list[str]:
        """The row's cell texts as they are shown (escaped, not cut)."""
        return [c.text for c in self._rows[row]]

    def set_rows(self, rows: Sequence[Sequence[Cell]]) -> None:
        """Show these rows (replacing any), cursor on the first; the current column is kept."""
        self._rows = list(rows)
        self._forget()
        self._cursor_row = 0
        self.virtual_size = Size(self._width, len(self._rows) + 1)  # + the header line
        self.scroll_to(y=0, animate=False, force=True)
        self.refresh()

    def _forget(self) -> None:
        self._strips.clear()
        self._cursor_strip = None
        self._header = None
        self._warm_from = 0
        self.call_later(self._warm)

    _WARM_ROWS = 8  # ~2 ms of work: a key pressed meanwhile waits no longer than that

    def _warm(self) -> None:
        """Render the rows not shown yet, a few at a time between events, so that paging down shows
        rows already made (the first paint renders only the rows in view)."""
        if not self._styles or not self.is_attached:  # not painted yet: the first paint calls again
            return
        odd, even = self._styles[2], self._styles[3]
        end = min(len(self._rows), self._warm_from + self._WARM_ROWS)
        for row in range(self._warm_from, end):
            if row not in self._strips:
                self._row_strip(row, even if self.zebra_stripes and row % 2 == 0 else odd)
        self._warm_from = end
        if end < len(self._rows):
            self.call_later(self._warm)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # A theme or class change: every cached strip has the old colours baked in.
        self._forget()
        self._styles = ()
        self.refresh()

    # -- rendering -------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self._check_styles()
        # The view is the same for every line of a paint, and asking for it costs more than picking a
        # cached strip (scrollable_content_region is computed on each call), so ask once per paint.
        self._view = self._current_view()
        try:
            return super().render_lines(crop)
        finally:
            self._view = None

    def _check_styles(self) -> None:
        # The theme, focus, hover and classes change the component styles without always calling
        # notify_style_update (animated restyles return early). Reading the styles on every paint
        # would cost ~0.5 ms (each refresh() empties Textual's style cache), so only when those change.
        key = (self.app.theme, self.get_pseudo_class_state(), self.classes)
        if key == self._style_key and self._styles:
            return
        self._style_key = key
        styles = tuple(self.get_component_rich_style(name) for name in _COMPONENTS)
        if styles != self._styles:
            self._forget()  # (which schedules the warm-up, now with these styles)
            self._styles = styles

    def _current_view(self) -> tuple[int, int, int]:
        scroll_x, scroll_y = self.scroll_offset
        return scroll_x, scroll_y, self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        if self._view is None:  # called on its own (not during a paint)
            self._check_styles()
            scroll_x, scroll_y, width = self._current_view()
        else:
            scroll_x, scroll_y, width = self._view
        header, header_cursor, odd, even, cursor, cursor_cell = self._styles
        if y == 0:  # the header never scrolls vertically
            return self._header_strip(header, header + header_cursor).crop_extend(
                scroll_x, scroll_x + width, header
            )
        row = scroll_y + y - 1
        if row >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        if row == self._cursor_row:
            fill = cursor
            strip = self._row_cursor_strip(row, cursor, cursor + cursor_cell)
        else:
            fill = even if self.zebra_stripes and row % 2 == 0 else odd
            strip = self._strips.get(row) or self._row_strip(row, fill)
        return strip.crop_extend(scroll_x, scroll_x + width, fill)

    def _segments(self, row: int, base: Style, strong: Style | None, keep_colour: bool) -> list[Segment]:
        segments = []
        cells = self._rows[row]
        for index, column in enumerate(self.columns):
            value = cells[index] if index < len(cells) else _EMPTY  # a short row: blank cells
            style = base
            if value.style:
                style = base + _style(value.style)
                if not keep_colour:  # under the cursor the cursor's colours win (as in DataTable)
                    style += Style(color=base.color, bgcolor=base.bgcolor)
            if strong is not None and index == self._cursor_column:
                style = strong
            segments.append(Segment(f" {_fit(value.text, column.width, value.right)} ", style))
        return segments

    def _row_strip(self, row: int, base: Style) -> Strip:
        strip = Strip(self._segments(row, base, None, True), self._width).simplify()
        self._strips[row] = strip
        return strip

    def _row_cursor_strip(self, row: int, base: Style, strong: Style) -> Strip:
        key = (row, self._cursor_column)
        if self._cursor_strip is None or self._cursor_strip[0] != key:
            strip = Strip(self._segments(row, base, strong, False), self._width).simplify()
            self._cursor_strip = (key, strip)
        return self._cursor_strip[1]

    def _header_strip(self, base: Style, strong: Style) -> Strip:
        if self._header is None or self._header[0] != self._cursor_column:
            segments = [
                Segment(
                    f" {_fit(c.label, c.width, False)} ",
                    strong if i == self._cursor_column else base,
                )
                for i, c in enumerate(self.columns)
            ]
            self._header = (self._cursor_column, Strip(segments, self._width))
        return self._header[1]

    # -- cursor ----------------------------------------------------------------------------------
    @property
    def _body_height(self) -> int:
        """Rows in view (the header takes a line)."""
        return max(1, self.scrollable_content_region.height - 1)

    def move_cursor(self, *, row: int | None = None, column: int | None = None) -> None:
        """Put the cursor on ``row`` / ``column`` (clamped) and scroll just enough to show it."""
        old_row, old_column = self._cursor_row, self._cursor_column
        if row is not None:
            self._cursor_row = max(0, min(row, len(self._rows) - 1))
        if column is not None:
            self._cursor_column = max(0, min(column, len(self.columns) - 1))
        if self._cursor_column != old_column:
            self.refresh(Region(0, 0, self.size.width, 1))  # the header's highlighted label
        if (self._cursor_row, self._cursor_column) != (old_row, old_column):
            # Only the rows that lose and gain the cursor; virtual line = row + 1 (the header).
            self.refresh_lines(old_row + 1)
            self.refresh_lines(self._cursor_row + 1)
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        if not self.scrollable_content_region.height:  # not laid out yet: the view has no size to fit
            self.call_after_refresh(self._scroll_cursor_into_view)
            return
        scroll_x, scroll_y = self.scroll_offset
        y = scroll_y
        if self._cursor_row < scroll_y:
            y = self._cursor_row
        elif self._cursor_row >= scroll_y + self._body_height:
            y = self._cursor_row - self._body_height + 1
        x = scroll_x
        left = self._x[self._cursor_column] if self.columns else 0
        right = left + (self.columns[self._cursor_column].width + 2 if self.columns else 0)
        width = self.scrollable_content_region.width
        if left < scroll_x:
            x = left
        elif right > scroll_x + width:
            x = min(left, right - width)
        if (x, y) != (scroll_x, scroll_y):
            self.scroll_to(x=x, y=y, animate=False, force=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor_row + 1)

    def action_cursor_left(self) -> None:
        self.move_cursor(column=self._cursor_column - 1)

    def action_cursor_right(self) -> None:
        self.move_cursor(column=self._cursor_column + 1)

    def action_page_down(self) -> None:
        # The cursor keeps its place on screen while the rows move a page under it (as DataTable).
        step = self._body_height
        self.scroll_to(y=self.scroll_offset.y + step, animate=False, force=True)
        self.move_cursor(row=self._cursor_row + step)

    def action_page_up(self) -> None:
        step = self._body_height
        self.scroll_to(y=max(0, self.scroll_offset.y - step), animate=False, force=True)
        self.move_cursor(row=self._cursor_row - step)

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        if self._rows:
            self.post_message(self.Selected(self, self._cursor_row))

    # -- mouse -----------------------------------------------------------------------------------
    def _column_at(self, x: int) -> int | None:
        for index, left in enumerate(self._x):
            if left <= x < left + self.columns[index].width + 2:
                return index
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:  # on a scrollbar
            return
        event.stop()
        scroll_x, scroll_y = self.scroll_offset
        column = self._column_at(offset.x + scroll_x)
        if offset.y == 0:  # the header: choose the column
            self.move_cursor(column=column)
            return
        row = scroll_y + offset.y - 1
        if row >= len(self._rows):
            return
        again = row == self._cursor_row
        self.move_cursor(row=row, column=column)
        if again:
            self.post_message(self.Selected(self, row))
