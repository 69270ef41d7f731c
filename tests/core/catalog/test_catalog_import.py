"""CSV import and export, through the service and the ``mallkit products`` commands."""

import csv
import io

from click.testing import CliRunner

from mallkit.core.catalog.importer import export_csv, import_csv
from mallkit.core.catalog.models import Category, Product, Sku, StockMovement
from mallkit.core.cli import Context, cli
from tests.core.catalog.helpers import row_counts

HEADER = (
    "product_key,name,subtitle,category,brand,tags,specs,sku_code,price_fen,"
    "original_price_fen,cost_fen,weight_g,stock,on_shelf\n"
)
GOOD = (
    "T1,纯棉T恤,夏季新品,服装/男装,优衣库,热门|新品,颜色:白;尺码:M,T1-WM,9900,12900,4000,200,10,yes\n"
    "T1,,,,,,颜色:白;尺码:L,T1-WL,9900,12900,4000,210,5,\n"
    "T1,,,,,,颜色:黑;尺码:M,T1-BM,10900,,,200,0,\n"
    "T2,保温杯,,家居,,,,CUP-1,5900,,,350,30,no\n"
)
BAD = (
    "B1,坏商品,,,,,颜色:红,B1-R,19.9,,,,1,\n"  # line 6: money is whole fen
    "B2,,,,,,,B2-1,100,,,,1,\n"  # line 7: no name
    "B3,另一个,,,,,颜色红,B3-1,100,,,,1,maybe\n"  # line 8: specs and on_shelf
)


def test_good_file_imports_everything(app, merchant):
    report = import_csv(merchant.id, io.StringIO(HEADER + GOOD))
    assert report.ok and report.committed
    assert (report.created_products, report.created_skus) == (2, 4)
    tee = Product.get(Product.name == "纯棉T恤")
    assert tee.specs == [
        {"name": "颜色", "values": ["白", "黑"]},
        {"name": "尺码", "values": ["M", "L"]},
    ]
    assert Category.get_by_id(tee.category_id).path.count("/") == 3  # 服装/男装
    skus = {s.code: s for s in Sku.select().where(Sku.product == tee.id)}
    assert skus["T1-BM"].price == 10900 and skus["T1-WL"].stock == 5
    assert StockMovement.select().count() == 3  # non-zero initial stock only
    assert Product.get(Product.name == "保温杯").is_on_shelf is False


def test_a_bad_row_means_nothing_is_written_by_default(app, merchant):
    before = row_counts()
    report = import_csv(merchant.id, io.StringIO(HEADER + GOOD + BAD))
    assert not report.committed and report.created_products == 0
    errors = {(e.line, e.field) for e in report.errors}
    assert (6, "price_fen") in errors
    assert (7, "name") in errors
    assert {(8, "specs"), (8, "on_shelf")} <= errors
    assert all(e.message for e in report.errors)
    assert row_counts() == before


def test_skip_bad_rows_imports_the_rest(app, merchant):
    report = import_csv(merchant.id, io.StringIO(HEADER + GOOD + BAD), skip_bad_rows=True)
    assert report.committed
    assert (report.created_products, report.skipped_products) == (2, 3)
    assert sorted(p.name for p in Product.select()) == ["保温杯", "纯棉T恤"]
    assert {e.line for e in report.errors} == {6, 7, 8}


def test_database_level_errors_are_reported_per_row(app, merchant):
    dup = HEADER + GOOD + "T3,重复编码,,,,,,T1-WM,100,,,,1,\n"
    report = import_csv(merchant.id, io.StringIO(dup), skip_bad_rows=True)
    assert [(e.line, e.field) for e in report.errors] == [(6, "sku_code")]
    assert "T1-WM" in report.errors[0].message
    assert report.created_products == 2


def test_unknown_or_missing_columns(app, merchant):
    report = import_csv(merchant.id, io.StringIO("product_key,colour\nA,red\n"))
    assert {e.field for e in report.errors} >= {"name,price_fen", "colour"}
    assert report.errors[0].line == 1


def test_export_round_trips(app, merchant, other_merchant):
    import_csv(merchant.id, io.StringIO(HEADER + GOOD))
    out = io.StringIO()
    assert export_csv(merchant.id, out) == 4
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["category"] == "服装/男装" and rows[0]["tags"] == "热门|新品"
    assert [r["sku_code"] for r in rows] == ["T1-WM", "T1-WL", "T1-BM", "CUP-1"]
    # The export imports again (another store; codes are unique per merchant).
    report = import_csv(other_merchant.id, io.StringIO(out.getvalue()))
    assert report.ok and report.created_skus == 4


def test_cli_import_and_export(app, merchant, tmp_path):
    context = Context()
    context._app = app
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD + BAD, encoding="utf-8")
    result = runner.invoke(
        cli, ["products", "import", str(bad), "--merchant", str(merchant.id)], obj=context
    )
    assert result.exit_code == 1
    assert "bad.csv:line 6, price_fen:" in result.output
    assert "nothing was imported" in result.output
    assert Product.select().count() == 0
    result = runner.invoke(
        cli,
        ["products", "import", str(bad), "--merchant", str(merchant.id), "--skip-bad-rows"],
        obj=context,
    )
    assert "2 product(s), 4 SKU(s) imported; 3 product(s) skipped" in result.output
    assert Product.select().count() == 2
    target = tmp_path / "out.csv"
    result = runner.invoke(
        cli, ["products", "export", str(target), "--merchant", str(merchant.id)], obj=context
    )
    assert result.exit_code == 0, result.output
    assert "2 product(s), 4 SKU row(s)" in result.output
    assert target.read_text(encoding="utf-8").startswith("product_key,name")
    result = runner.invoke(cli, ["products", "import", str(bad), "--merchant", "999"], obj=context)
    assert result.exit_code != 0 and "merchant not found" in result.output
