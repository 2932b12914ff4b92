"""RowGrid on its own through Pilot: cursors and scrolling, selection, clicks, hostile text, the strip cache."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.strip import Strip

from tests.tui.conftest import EVIL_AGENT
from tui.widgets.grid import Cell, Column, RowGrid, cell

COLUMNS = [
    Column("n", "n", 6),
    Column("name", "name", 20),
    *[Column(f"c{i}", f"col {i}", 28) for i in range(6)],
]
WIDTH = sum(c.width + 2 for c in COLUMNS)  # 206: wider than the 80-cell test screen
SIZE = (80, 12)  # 12 lines: the header and 11 rows


def _rows(count: int, tag: str = "row") -> list[list[Cell]]:
    return [[cell(i), cell(f"{tag} {i}"), *[cell(f"{tag} {i}.{j}") for j in range(6)]] for i in range(count)]


class GridApp(App[None]):
    def __init__(self, rows: list[list[Cell]]) -> None:
        super().__init__()
        self.rows = rows
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield RowGrid(COLUMNS)

    def on_mount(self) -> None:
        self.query_one(RowGrid).set_rows(self.rows)

    def on_row_grid_selected(self, event: RowGrid.Selected) -> None:
        self.selected.append(event.row)


def _screen_text(app: App[None]) -> list[str]:
    grid = app.query_one(RowGrid)
    return [grid.render_line(y).text for y in range(grid.scrollable_content_region.height)]


async def test_cursor_moves_and_scrolls_one_line_at_the_bottom_edge():
    app = GridApp(_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        assert grid.has_focus and grid.cursor_row == 0
        body = grid.scrollable_content_region.height - 1  # rows in view below the header
        for _ in range(body - 1):
            await pilot.press("down")
        assert grid.cursor_row == body - 1 and grid.scroll_offset.y == 0  # last visible row: no scroll yet
        await pilot.press("down")
        assert grid.cursor_row == body and grid.scroll_offset.y == 1  # one line, not a page
        await pilot.press("down", "down")
        assert grid.scroll_offset.y == 3
        lines = _screen_text(app)
        assert lines[0].split()[:2] == ["n", "name"]  # the header stays on top
        assert lines[-1].split()[1:3] == ["row", str(grid.cursor_row)]  # the cursor row is the bottom one
        await pilot.press("up")
        assert grid.scroll_offset.y == 3  # moving back inside the view does not scroll
        await pilot.press("end")
        assert grid.cursor_row == 49 and grid.scroll_offset.y == 50 - body
        await pilot.press("pageup")
        assert grid.cursor_row == 49 - body
        await pilot.press("home")
        assert grid.cursor_row == 0 and grid.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert grid.cursor_row == body
        await pilot.press("up")
        assert grid.cursor_row == body - 1


async def test_a_move_repaints_only_the_two_rows_unless_it_scrolls():
    app = GridApp(_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.pause()
        painted: list[int] = []
        render_line = grid.render_line

        def spy(y: int) -> Strip:
            painted.append(y)
            return render_line(y)

        grid.render_line = spy  # type: ignore[method-assign]  # count the lines painted
        await pilot.press("down")
        await pilot.pause()
        assert sorted(painted) == [1, 2]
        painted.clear()
        await pilot.press("right")
        await pilot.pause()
        assert sorted(painted) == [0, 2]  # the header's highlighted label and the cursor row


async def test_column_cursor_scrolls_horizontally_to_stay_visible():
    app = GridApp(_rows(5))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        assert grid.virtual_size.width == WIDTH
        assert grid.cursor_column == 0
        await pilot.press("right", "right")
        assert grid.cursor_column == 2 and grid.scroll_offset.x == 0  # "col 0" still fits in 80 cells
        await pilot.press("right")
        assert grid.cursor_column == 3
        view = grid.scrollable_content_region.width
        left = sum(c.width + 2 for c in COLUMNS[:3])
        assert grid.scroll_offset.x == left + COLUMNS[3].width + 2 - view  # its right edge at the view's edge
        assert "col 1" in _screen_text(app)[0]  # the header scrolls with the body
        for _ in range(10):
            await pilot.press("right")
        assert grid.cursor_column == len(COLUMNS) - 1 and grid.scroll_offset.x == WIDTH - view
        await pilot.press("left")
        assert grid.scroll_offset.x == WIDTH - view  # still in view: no scroll
        for _ in range(10):
            await pilot.press("left")
        assert grid.cursor_column == 0 and grid.scroll_offset.x == 0


async def test_enter_selects_and_a_click_moves_then_selects():
    app = GridApp(_rows(20))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.selected == [2]
        await pilot.click(RowGrid, offset=(10, 5))  # line 5 = row 4 (the header is line 0), column "name"
        await pilot.pause()
        assert grid.cursor_row == 4 and grid.cursor_column == 1 and app.selected == [2]
        await pilot.click(RowGrid, offset=(10, 5))  # again on the cursor row: select
        await pilot.pause()
        assert app.selected == [2, 4]
        await pilot.click(RowGrid, offset=(40, 0))  # the header: choose a column, rows stay
        await pilot.pause()
        assert grid.cursor_row == 4 and grid.cursor_column == 2
        for _ in range(3):  # the wheel scrolls the view, not the cursor
            grid.post_message(events.MouseScrollDown(grid, 10, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        top = grid.scroll_offset.y
        assert top > 0 and grid.cursor_row == 4
        await pilot.click(RowGrid, offset=(10, 1))  # the first line under the header: the top row in view
        await pilot.pause()
        assert grid.cursor_row == top and app.selected == [2, 4]


async def test_hostile_text_stays_text():
    rows = [[cell(1), cell("agent"), cell(EVIL_AGENT, max_len=None)], [cell(2), Cell("\x1b[2Jraw", "bold")]]
    app = GridApp(rows)
    async with app.run_test(size=(200, 12)) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.pause()
        assert grid.get_row_at(0)[2].startswith("[bold red]x[/]")  # markup kept as characters
        lines = _screen_text(app)
        assert all("\x1b" not in line and "\x07" not in line for line in lines)
        assert "[bold red]x[/] \\x1b[2J" in lines[1]
        assert "\\x1b[2Jraw" in lines[2]  # a Cell made without cell() is escaped when drawn
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "[bold red]x[/]" in svg.replace("&#160;", " ")


async def test_set_rows_replaces_the_cached_strips():
    app = GridApp(_rows(30, "old"))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.press("down", "down", "right")
        await pilot.pause()
        assert "old 5" in _screen_text(app)[6] and grid._strips
        grid.set_rows(_rows(3, "new"))
        await pilot.pause()
        lines = _screen_text(app)
        assert grid.cursor_row == 0 and grid.cursor_column == 1  # the row resets, the column stays
        assert [line.split()[1:3] for line in lines[1:4]] == [["new", "0"], ["new", "1"], ["new", "2"]]
        assert not any("old" in line for line in lines)
        assert lines[4].strip() == ""


async def test_losing_focus_dims_the_cursor():
    app = GridApp(_rows(5))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.pause()
        focused = [s.style for s in grid.render_line(1)]
        grid.blur()
        await pilot.pause()
        assert not grid.has_focus
        assert [s.style for s in grid.render_line(1)] != focused  # the blurred cursor colours


async def test_a_theme_change_repaints_with_the_new_colours():
    app = GridApp(_rows(5))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.pause()
        before = grid.render_line(2)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        after = grid.render_line(2)
        assert before.text == after.text
        assert [s.style for s in before] != [s.style for s in after]


async def test_rows_out_of_view_are_rendered_between_keystrokes_and_look_the_same():
    app = GridApp(_rows(120))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(RowGrid)
        await pilot.pause()
        assert len(grid._strips) == 120  # the whole page, not only the 11 rows in view
        ahead = grid._strips[60].text
        grid.move_cursor(row=61)
        await pilot.pause()
        assert grid._strips[60].text == ahead and "row 60" in ahead
        grid.set_rows(_rows(30, tag="new"))  # new rows: the old strips are gone, the new ones made
        await pilot.pause()
        assert len(grid._strips) == 30 and "new 29" in grid._strips[29].text
