"""Full-text product search behind one interface, on SQLite (FTS5) and PostgreSQL (tsvector).

Neither engine segments Chinese out of the box (FTS5's tokenizers and PostgreSQL's ``simple``
configuration see a run of Han characters as one word), so mallkit tokenises in Python, the
same way for both engines, and stores the tokens on the product (``search_name``,
``search_extra``: space-separated tokens):

- text is NFKC-normalised, case-folded and stripped of accents (``Café`` → ``cafe``);
- a run of CJK characters becomes its unigrams and bigrams (``运动鞋`` → ``运 动 鞋 运动 动鞋``);
  in the stored document, whitespace between CJK characters does not end a run;
- any other run of letters and digits is one token (``iPhone15`` → ``iphone15``).

A query is tokenised the same way: a CJK run of one character searches its unigram, a longer
run all of its bigrams; every other word matches as a prefix (``iph`` finds ``iPhone``). All
tokens must match (AND). On SQLite the tokens go to an external-content FTS5 table kept in sync
by triggers and ranked with ``bm25`` (name weighted 4×); on PostgreSQL to generated
``tsvector`` columns built with ``array_to_tsvector`` (no parser or locale involved) behind a
GIN index, ranked with ``ts_rank``. The migration ``0002_catalog`` creates both.

Limits: bigrams match "运动" and "动鞋" anywhere in a product, not necessarily adjacent, so
"运动鞋" also finds a "运动 … 动鞋" product (rare, and ranked lower); there is no stemming,
no synonyms and no typo tolerance.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import peewee as pw

from mallkit.core import db
from mallkit.core.catalog.models import Product

FTS_TABLE = "product_fts"
NAME_WEIGHT = 4.0
MAX_QUERY_TOKENS = 16

_WORD = re.compile(r"[^\W_]+")
# Han, Hiragana, Katakana, Hangul and the CJK compatibility blocks.
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


_CJK_GAP = re.compile(r"(?<=" + _CJK.pattern[:-1] + r")\s+(?=" + _CJK.pattern[:-1] + r")")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text or "").casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True)
class QueryToken:
    text: str
    prefix: bool


def _runs(text: str):
    """Yield ``(run, is_cjk)`` for each word of ``text``, CJK and other runs split apart."""
    for word in _WORD.findall(_normalise(text)):
        pos = 0
        for m in _CJK.finditer(word):
            if m.start() > pos:
                yield word[pos : m.start()], False
            yield m.group(), True
            pos = m.end()
        if pos < len(word):
            yield word[pos:], False


def tokenize(text: str) -> list[str]:
    """The index tokens of ``text`` (unique, in first-seen order).

    Spaces between CJK characters are dropped first: Chinese titles use them as visual
    separators (``西湖龙井 绿茶``), and a search for ``龙井绿茶`` must still find them.
    """
    out: dict[str, None] = {}
    for run, cjk in _runs(_CJK_GAP.sub("", text or "")):
        if cjk:
            for ch in run:
                out[ch] = None
            for i in range(len(run) - 1):
                out[run[i : i + 2]] = None
        else:
            out[run] = None
    return list(out)


def document(*texts: str) -> str:
    """The stored search document for some texts: their tokens, space-separated."""
    tokens: dict[str, None] = {}
    for text in texts:
        for token in tokenize(text):
            tokens[token] = None
    return " ".join(tokens)


def query_tokens(text: str) -> list[QueryToken]:
    """What a search for ``text`` must match (all of it)."""
    out: dict[QueryToken, None] = {}
    for run, cjk in _runs(text):
        if cjk:
            grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            for gram in grams:
                out[QueryToken(gram, False)] = None
        else:
            out[QueryToken(run, True)] = None
    return list(out)[:MAX_QUERY_TOKENS]


# A buyer's search ranks (and pages through) at most this many matches: the first ones the
# full-text index gives, each ranked. Ranking every match grew with the catalog (a common
# word matches thousands of products in a big one); a search past this many matches is too
# broad to read anyway and is meant to be refined.
RANK_CAP = 1000


class Search:
    """One search: ``query = search.apply(query)`` filters a ``Product`` query to the matches,
    and ``search.rank`` is an expression to order by (higher is better);
    ``search.candidates()`` is the capped alternative the storefront uses: a subquery of at
    most :data:`RANK_CAP` matches, ``(id, rank)``, to join — where the matches are product
    rows (``carries_columns``: PostgreSQL), with the product columns asked for too, so the
    list filters and sorts them without reading each product again."""

    carries_columns = False

    def __init__(self, text: str) -> None:
        self.tokens = query_tokens(text)

    @property
    def empty(self) -> bool:
        return not self.tokens

    def apply(self, query: pw.ModelSelect) -> pw.ModelSelect:
        raise NotImplementedError

    @property
    def rank(self) -> pw.Node:
        raise NotImplementedError

    def candidates(self, cap: int | None = None, columns: tuple[str, ...] = ()) -> pw.SelectQuery:
        """At most ``cap`` (default :data:`RANK_CAP`) matches with their rank:
        ``(id, rank)``, and the product ``columns`` (column names) if ``carries_columns``."""
        raise NotImplementedError


class SqliteSearch(Search):
    """FTS5: ``product_fts`` (external content over ``product``) joined on rowid."""

    fts = pw.Table(FTS_TABLE, ("rowid", "search_name", "search_extra", FTS_TABLE))

    def match(self) -> str:
        # Tokens are letters and digits only, so quoting cannot be escaped from.
        return " AND ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in self.tokens)

    def apply(self, query: pw.ModelSelect) -> pw.ModelSelect:
        if self.empty:
            return query.where(pw.SQL("0 = 1"))
        # The hidden column named like the table is what MATCH and bm25 take (it follows
        # the alias peewee gives the table).
        hidden = getattr(self.fts, FTS_TABLE)
        return query.join_from(Product, self.fts, on=(self.fts.rowid == Product.id)).where(
            pw.NodeList((hidden, pw.SQL("MATCH"), pw.Value(self.match())))
        )

    @property
    def rank(self) -> pw.Node:
        # bm25 is lower-is-better; flip it so every backend ranks higher-is-better.
        return pw.fn.bm25(getattr(self.fts, FTS_TABLE), NAME_WEIGHT, 1.0) * -1

    def candidates(self, cap: int | None = None, columns: tuple[str, ...] = ()) -> pw.SelectQuery:
        fts = self.fts.alias("fts_match")
        hidden = getattr(fts, FTS_TABLE)
        return (
            fts.select(
                fts.rowid.alias("id"), (pw.fn.bm25(hidden, NAME_WEIGHT, 1.0) * -1).alias("rank")
            )
            .where(pw.NodeList((hidden, pw.SQL("MATCH"), pw.Value(self.match()))))
            .limit(RANK_CAP if cap is None else cap)
        )


class PostgresSearch(Search):
    """tsvector: generated columns ``search_tsv`` (all tokens, GIN-indexed) and
    ``search_name_tsv`` (name tokens, for ranking)."""

    def tsquery(self) -> str:
        return " & ".join(f"'{t.text}'" + (":*" if t.prefix else "") for t in self.tokens)

    def _query(self) -> pw.Node:
        return pw.SQL("%s::tsquery", [self.tsquery()])

    def apply(self, query: pw.ModelSelect) -> pw.ModelSelect:
        if self.empty:
            return query.where(pw.SQL("1 = 0"))
        return query.where(
            pw.NodeList((pw.Column(Product, "search_tsv"), pw.SQL("@@"), self._query()))
        )

    @property
    def rank(self) -> pw.Node:
        q = self._query()
        return pw.fn.ts_rank(
            pw.Column(Product, "search_name_tsv"), q
        ) * NAME_WEIGHT + pw.fn.ts_rank(pw.Column(Product, "search_tsv"), q)

    carries_columns = True

    def candidates(self, cap: int | None = None, columns: tuple[str, ...] = ()) -> pw.SelectQuery:
        found = Product.alias("fts_match")
        q = self._query()
        rank = pw.fn.ts_rank(pw.Column(found, "search_name_tsv"), q) * NAME_WEIGHT + pw.fn.ts_rank(
            pw.Column(found, "search_tsv"), q
        )
        # No ORDER BY here: the LIMIT stops the index scan, and only the rows kept are ranked.
        return (
            found.select(
                found.id.alias("id"),
                rank.alias("rank"),
                *(getattr(found, Product._meta.columns[c].name) for c in columns if c != "id"),
            )
            .where(pw.NodeList((pw.Column(found, "search_tsv"), pw.SQL("@@"), q)))
            .limit(RANK_CAP if cap is None else cap)
        )


def search(text: str) -> Search:
    """The search for ``text`` on the bound database."""
    return PostgresSearch(text) if db.is_postgres() else SqliteSearch(text)


def product_document(
    name: str, subtitle: str = "", brand: str = "", tags: list[str] | tuple[str, ...] = ()
) -> dict[str, str]:
    """The search columns of a product: ``{"search_name": ..., "search_extra": ...}``."""
    return {
        "search_name": document(name),
        "search_extra": document(subtitle, brand, *tags),
    }


# -- schema (used by the migration) ----------------------------------------------------------

SQLITE_DDL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS "{FTS_TABLE}" USING fts5(
        search_name, search_extra, content='product', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS product_fts_insert AFTER INSERT ON product BEGIN
        INSERT INTO "{FTS_TABLE}"(rowid, search_name, search_extra)
        VALUES (new.id, new.search_name, new.search_extra);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS product_fts_delete AFTER DELETE ON product BEGIN
        INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rowid, search_name, search_extra)
        VALUES ('delete', old.id, old.search_name, old.search_extra);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS product_fts_update
        AFTER UPDATE OF search_name, search_extra ON product BEGIN
        INSERT INTO "{FTS_TABLE}"("{FTS_TABLE}", rowid, search_name, search_extra)
        VALUES ('delete', old.id, old.search_name, old.search_extra);
        INSERT INTO "{FTS_TABLE}"(rowid, search_name, search_extra)
        VALUES (new.id, new.search_name, new.search_extra);
    END""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS product_fts_update",
    "DROP TRIGGER IF EXISTS product_fts_delete",
    "DROP TRIGGER IF EXISTS product_fts_insert",
    f'DROP TABLE IF EXISTS "{FTS_TABLE}"',
]

_PG_VECTOR = "coalesce(array_to_tsvector(string_to_array(NULLIF({cols}, ''), ' ')), ''::tsvector)"
POSTGRES_DDL = [
    "ALTER TABLE product ADD COLUMN search_name_tsv tsvector GENERATED ALWAYS AS ("
    + _PG_VECTOR.format(cols="search_name")
    + ") STORED",
    "ALTER TABLE product ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ("
    + _PG_VECTOR.format(cols="btrim(search_name || ' ' || search_extra)")
    + ") STORED",
    "CREATE INDEX product_search_tsv ON product USING GIN (search_tsv)",
]
