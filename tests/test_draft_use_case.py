"""A new use case from configuration alone: `kedro draft-use-case`, then `kedro run`.

The tables are made here in shapes no built-in fixture has (see
`risk_segments.synthetic.user_tables`): an entity table with a Yes/No label, no
date, blanks in a numeric column, an integer-coded categorical, ids with dashes
and a free-text column; and an order log with its own column names, ISO
timestamps with times, prefixed ids, shuffled rows and an extra column.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from risk_segments.dialect import csv_dialect
from risk_segments.drafting import (
    Draft,
    DraftError,
    check_name,
    draft_tabular,
    positive_value,
    profile_column,
    write_draft,
)
from risk_segments.schema import (
    InvalidInputError,
    as_people_have_it,
    date_format_of,
    numbers_from_text,
)
from risk_segments.synthetic.user_tables import (
    churn_table,
    order_log,
    write_european_export,
)
from risk_segments.use_cases import declared
from tests.helpers import PROJECT_ROOT, copy_project, kedro_cli

ENTITY = "telco_churn"
ORDERS = "shop_repeat"
SEGMENTS = "member_base"  # a table without an outcome: segments only
ORDER_LOG_COLUMNS = {  # the columns of `order_log`'s shop export
    "customer": "Client Ref",
    "date": "Purchased At",
    "amount": "Total (EUR)",
    "quantity": None,
    "order_id": "Basket",
}


# --------------------------------------------------------------------------- profiling


def test_columns_are_profiled_as_people_have_them():
    table = churn_table(600, seed=1)
    n = len(table)
    roles = {c: profile_column(table[c], n) for c in table.columns}
    assert roles["customerID"].role == "set_aside"
    assert "id-like" in roles["customerID"].note
    assert roles["notes"].role == "set_aside" and "free text" in roles["notes"].note
    assert roles["SeniorCitizen"].role == "categorical"
    assert roles["SeniorCitizen"].levels == ["0", "1"]
    assert roles["Contract"].levels == ["Month-to-month", "One year", "Two year"]
    total = roles["TotalCharges"]  # text in the file, blanks for new customers
    assert total.role == "numeric" and total.bounds == [0, None]
    assert roles["tenure"].role == "numeric"
    constant = profile_column(pd.Series(["x"] * 10, name="const"), 10)
    assert constant.role == "set_aside" and "constant" in constant.note


@pytest.mark.parametrize(
    ("values", "given", "expected"),
    [
        (["Yes", "No", "No"], None, "Yes"),
        (["Nein", "Ja", "Nein"], None, "Ja"),  # a German export
        (["non", "oui"], None, "oui"),
        ([0, 1, 1], None, None),
        ([True, False, True], None, None),
        (["stayed", "left", "left"], "left", "left"),
        # the risk event by its name (they asked for --positive before)
        (["stayed", "left", "left"], None, "left"),
        (["Existing Customer", "Attrited Customer"], None, "Attrited Customer"),
        (["Fully Paid", "Charged Off"], None, "Charged Off"),
        (["Paid", "Defaulted"], None, "Defaulted"),
        ([-1, 1, 1], None, "1"),
        ([1, 2, 2], "2", "2"),
        (
            ["Yes", "no ", "Yes", "No", None, "yes"],
            None,
            "Yes",
        ),  # spellings of two values
    ],
)
def test_the_positive_label_is_read_or_asked_for(values, given, expected):
    assert positive_value(pd.Series(values), "y", given) == expected


@pytest.mark.parametrize(
    "values", [["Won", "Lost"], ["Active", "Inactive"], [1, 2], ["1", "2", "2"]]
)
def test_an_ambiguous_label_asks_for_positive(values):
    """1/2 (German credit writes 2 for a bad loan): no side is positive by its name."""
    with pytest.raises(DraftError, match="--positive"):
        positive_value(pd.Series(values), "status", None)


def test_an_outcome_column_of_many_values_is_drafted_with_its_negatives(tmp_path):
    """A loan's status: "Charged Off" and "Default" are positive, "Fully Paid" negative,
    "Current" and "Late" have no outcome yet: unlabeled, not negative."""
    table = churn_table(1200, seed=13)
    rng = np.random.default_rng(1)
    status = rng.choice(
        ["Fully Paid", "Charged Off", "Current", "Late (31-120 days)", "Default"],
        1200,
        p=[0.5, 0.2, 0.2, 0.05, 0.05],
    )
    table["loan_status"] = status
    path = _write(table.drop(columns=["Churn"]), tmp_path / "loans.csv")
    with pytest.raises(DraftError, match=r"'Fully Paid': 5.*--negative"):
        draft_tabular("x", path, tmp_path, "customerID", "loan_status", "Charged Off")
    draft = draft_tabular(
        "x",
        path,
        tmp_path,
        "customerID",
        "loan_status",
        ["Charged Off", "Default"],
        negative="Fully Paid",
    )
    schema = yaml_block(draft.parameters)["x"]["schema"]
    assert schema["positive_label"] == ["Charged Off", "Default"]
    assert schema["negative_label"] == "Fully Paid"
    read = _entry_rows(draft, "x", path)
    open_loans = np.isin(status, ["Current", "Late (31-120 days)"])
    assert read["loan_status"].isna().to_numpy().tolist() == open_loans.tolist()
    bad = np.isin(status, ["Charged Off", "Default"])
    assert read["loan_status"].sum() == bad.sum()


def test_an_option_finds_its_column_with_spaces_around_the_name(tmp_path):
    table = churn_table(400, seed=7).rename(columns={"Churn": "Churn Flag "})
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, " customerID", "Churn Flag", "Yes")
    assert 'label_column: "Churn Flag "' in draft.parameters
    assert 'id_column: "customerID"' in draft.parameters
    # and in another case, when one column is so named (it stopped with "did you mean")
    draft = draft_tabular("x", path, tmp_path, "CustomerId", "churn flag", "Yes")
    assert 'label_column: "Churn Flag "' in draft.parameters
    assert 'id_column: "customerID"' in draft.parameters


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("id,x,y\n1,2.5,a\n2,3.5,b\n", "utf-8", {}),
        (
            "id;x;y\n1;1.234,5;München\n2;3,5;Köln\n",
            "cp1252",
            {"sep": ";", "decimal": ",", "thousands": ".", "encoding": "cp1252"},
        ),
        ('id,x\n1,"1,234.50"\n2,"12.5"\n', "utf-8", {"thousands": ","}),
        ("id\tx\tnote\n1\t2.5\ta, b\n2\t3\tc\n", "utf-8", {"sep": "\t"}),
        ("id|x\n1|2,5\n2|3,0\n", "utf-8-sig", {"sep": "|", "decimal": ","}),
        (
            "id;x\n1;1 234,5 €\n2;3,5 €\n",
            "utf-8",
            {"sep": ";", "decimal": ",", "thousands": " "},
        ),
        (
            "id;x\n1;1\u00a0234,5\n2;3,5\n",
            "utf-8",
            {"sep": ";", "decimal": ",", "thousands": "\u00a0"},
        ),
        # Excel's separator line before the header
        (
            "sep=;\nid;x\n1;2,5\n2;3,5\n",
            "utf-8",
            {"sep": ";", "decimal": ",", "skiprows": 1},
        ),
        # columns aligned by spaces (CDNOW's own file): runs of spaces separate
        (
            " id  day  x\n 001 19970101  1.5\n 002 19970112 12.0\n",
            "utf-8",
            {"sep": r"\s+"},
        ),
        # a decimal point beside a grouped value: the '.' is not a thousands mark
        ("id;x;y\n1;1.234;0.5\n2;2;0.7\n", "utf-8", {"sep": ";"}),
        # a report's title, its date and a blank line before the header
        (
            "Customer report\nGenerated 30.06.2024\n\nid;x;y\n"
            + "".join(f"{i};{i},5;a\n" for i in range(40)),
            "utf-8",
            {"sep": ";", "decimal": ",", "skiprows": 3},
        ),
        # '#' comment lines that hold the separator (the draft stopped with a
        # ParserError: "Expected 3 fields in line 3, saw 4")
        (
            "# churn extract\n# Generated: 2024-06-30, by CRM, v2\nid,x,y,z\n"
            + "".join(f"{i},{i}.5,a,b\n" for i in range(40)),
            "utf-8",
            {"skiprows": 2},
        ),
    ],
)
def test_the_file_dialect_is_read_off_the_file(tmp_path, text, encoding, expected):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding=encoding)
    assert csv_dialect(path) == expected
    read = pd.read_csv(path, **expected)  # as the catalog entry reads it
    assert read.columns[0] == "id" and len(read) == text.count("\n") - 1 - (
        expected.get("skiprows", 0)
    )


EUROPEAN = {"sep": ";", "decimal": ",", "thousands": "."}


@pytest.mark.parametrize(
    ("text", "load_args", "problem"),
    [
        # the drafted file's own dialect: nothing to say
        ("id;x\n1;45,59\n2;1.234,5\n", EUROPEAN, ""),
        # the nightly extract from another system: decimal points, read as thousands
        ("id;x\n1;45.59\n2;1234.5\n", EUROPEAN, "decimal point (e.g. '45.59')"),
        # whole numbers grouped by '.', or no fractions at all: no evidence either way
        ("id;x\n1;1.234\n2;17\n", EUROPEAN, ""),
        ("id;x\n1;12\n2;17\n", EUROPEAN, ""),
        # a decimal comma read with the default '.'
        ("id;x\n1;45,59\n2;3,5\n", {"sep": ";"}, "decimal comma (e.g. '45,59')"),
        # commas between fields, where the entry reads ';'
        ("id,x\n1,45.59\n2,3.5\n", EUROPEAN, "separated by ','"),
        ("id,x\n1,45.59\n2,3.5\n", {}, ""),
        ('id,x\n1,"1,234.50"\n2,3.5\n', {"thousands": ","}, ""),
        # utf-8 text where the entry reads Windows-1252: München would be MÃ¼nchen
        ("id;x\n1;München\n2;Köln\n", {**EUROPEAN, "encoding": "cp1252"}, "utf-8"),
        ("id;x\n1;Berlin\n2;Bonn\n", {**EUROPEAN, "encoding": "cp1252"}, ""),
    ],
)
def test_a_file_written_otherwise_than_its_entry_reads_is_named(
    tmp_path, text, load_args, problem
):
    from kedro.io import DatasetError

    from risk_segments.datasets import CSVTableDataset
    from risk_segments.dialect import dialect_mismatch

    path = tmp_path / "nightly.csv"
    path.write_text(text)
    found = dialect_mismatch(path, load_args)
    assert (problem in found) if problem else found == ""
    dataset = CSVTableDataset(filepath=str(path), load_args=load_args)
    if problem:
        with pytest.raises(DatasetError, match=r"nightly.csv': its .*load_args"):
            dataset.load()
    else:
        assert len(dataset.load()) == 2


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".zip"])
def test_a_compressed_file_is_read_off_its_decompressed_text(tmp_path, suffix):
    import bz2
    import gzip
    import lzma
    import zipfile

    text = "id;x;city\n1;1.234,5;München\n2;3,5;Köln\n".encode("cp1252")
    path = tmp_path / f"t{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("t.csv", text)
    else:
        opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
        with opener[path.suffix](path, "wb") as handle:
            handle.write(text)
    dialect = csv_dialect(path)
    assert dialect == {
        "sep": ";",
        "decimal": ",",
        "thousands": ".",
        "encoding": "cp1252",
    }
    read = pd.read_csv(path, **dialect)  # as the catalog entry reads it
    assert read["city"].tolist() == ["München", "Köln"]
    assert read["x"].tolist() == [1234.5, 3.5]


def test_a_zip_of_several_files_and_a_broken_workbook_are_refused_by_name(tmp_path):
    import zipfile

    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "id,x\n1,2\n")
        archive.writestr("b.csv", "id,x\n1,2\n")
    with pytest.raises(DraftError, match=r"'two.zip' holds 2 files"):
        draft_tabular("x", path, tmp_path, "id", "x")
    book = tmp_path / "sheet.xlsx"
    book.write_bytes(b"PK\x03\x04")
    with pytest.raises(
        DraftError, match=r"'sheet.xlsx' could not be read as a workbook"
    ):
        draft_tabular("x", book, tmp_path, "id", "x")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DraftError, match=r"holds no table file"):
        draft_tabular("x", tmp_path / "nothing", tmp_path, "id", "x")


def test_a_parquet_indexed_by_its_id_with_blank_labels_is_drafted_and_read(
    tmp_path,
):
    """pandas writes the index into the file and reads it back as the index: the id
    is then no column. Blank labels stay '' in a parquet file (a CSV reads them as
    missing): both are read as the run reads them."""
    import yaml

    from risk_segments.datasets.chunked_parquet_dataset import ParquetChunks
    from risk_segments.schema import validate_table

    table = churn_table(400, seed=3, n_unlabeled=40)
    assert (table["Churn"] == "").sum() == 40
    path = tmp_path / "t.parquet"
    table.set_index("customerID").to_parquet(path)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = {**yaml.safe_load(draft.parameters)["x"]["schema"], "as_of": "2099-01-01"}
    assert schema["positive_label"] == "Yes"
    assert "360 labeled rows" in draft.parameters and "40 unlabeled" in draft.parameters
    for loaded in (
        pd.read_parquet(path),
        *ParquetChunks(str(path), 150),
    ):
        read = validate_table(loaded, schema, "x.raw_table")
        assert read["customerID"].tolist() == loaded.index.tolist()
        assert read["Churn"].isna().sum() == (loaded["Churn"] == "").sum()
    assert ParquetChunks(pd.read_parquet(path), 150).columns[0] == "customerID"


def test_a_one_value_flag_is_kept_and_repeated_headers_are_said(tmp_path):
    table = churn_table(600, seed=3)
    table["complained"] = np.where(np.arange(600) % 5 == 0, "Y", "")  # Y or blank
    table["fax"] = np.where(np.arange(600) == 0, "Y", "")  # one row: a constant
    table["empty"] = ""
    table["null"] = np.arange(600) % 7  # a column named as pandas' missing token
    path = _write(table, tmp_path / "t.csv")
    text = path.read_text().replace(",MonthlyCharges,", ",TotalCharges,", 1)
    path.write_text(text.replace("\n", ",\n"))  # a blank-named last column
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    assert '      complained: ["Y"]   # one value' in draft.parameters
    assert "fax: constant (1 distinct value)" in draft.summary
    assert "empty: missing in every row" in draft.summary
    assert '      "null": [0, null]' in draft.parameters
    repeated = [line for line in draft.summary if " heads " in line]
    assert len(repeated) == 1, repeated  # neither 'null' nor the blank name
    assert repeated[0].startswith("'TotalCharges' heads 2 columns")
    assert "'TotalCharges.1'" in repeated[0]


def test_a_european_export_is_drafted_with_its_numbers_and_dates(tmp_path):
    table = churn_table(900, seed=8)
    table["tenure"] = table["tenure"] * 100.5  # values above 1,000: grouped digits
    table["city"] = np.resize(["München", "Köln", "Düsseldorf"], len(table))
    table["discount"] = [f"{v}%" for v in np.resize([0, 5, 12, 25], len(table))]
    table["price"] = [f"{v:.2f} €".replace(".", ",") for v in table["tenure"] + 0.5]
    table["signup"] = pd.date_range("2023-01-01", periods=len(table), freq="D").astype(
        str
    )
    path = tmp_path / "export.csv"
    write_european_export(
        table,
        path,
        dates={"signup": "%d/%m/%Y"},
        numbers=("tenure", "MonthlyCharges", "TotalCharges"),
    )
    draft = draft_tabular("europe", path, tmp_path, "customerID", "Churn")
    schema = draft.parameters.split("  supervised:")[0]
    assert (
        "    tenure: [0, null]" in schema and "    MonthlyCharges: [0, null]" in schema
    )
    assert "    TotalCharges: [0, null]" in schema
    assert 'city: ["Düsseldorf", "Köln", "München"]' in schema  # as written
    # a date among the features: its age at the snapshot, in days
    assert "    signup: [null, null]   # dates (%d/%m/%Y): days before" in schema
    assert "    date_features:" in schema and '      signup: "%d/%m/%Y"' in schema
    load_args = json.loads(draft.catalog.split("load_args: ")[1].splitlines()[0])
    assert load_args["sep"] == ";" and load_args["decimal"] == ","
    assert load_args["thousands"] == "." and load_args["encoding"] == "cp1252"
    again = pd.read_csv(path, **load_args)  # as the catalog entry will read it
    assert again["tenure"].to_numpy() == pytest.approx(table["tenure"].to_numpy())
    # numbers with a unit: numeric in the draft, read as numbers by the run
    assert "    discount: [0, null]" in schema and "    price: [0, null]" in schema
    assert 'number_marks: {"decimal": ",", "thousands": "."}' in schema
    marks = {"decimal": ",", "thousands": "."}
    frame = {"numeric": {"discount": [0, None], "price": [0, None]}, "categorical": {}}
    read = as_people_have_it(
        again[["discount", "price"]],
        {**frame, "number_marks": marks, "label_column": "Churn", "date_column": "d"},
        "europe.raw_table",
    )
    assert read["discount"].astype(float).tolist()[:4] == [0, 5, 12, 25]
    assert read["price"].astype(float).to_numpy() == pytest.approx(
        table["tenure"].to_numpy() + 0.5
    )


@pytest.mark.parametrize(
    ("text", "marks", "expected"),
    [
        (
            ["$12.50", "-$3", "12 %", "1,234.5", "€ 7"],
            {"thousands": ","},
            [12.5, -3, 12, 1234.5, 7],
        ),
        (
            ["12,50 €", "1.234,50", "-0,5"],
            {"decimal": ",", "thousands": "."},
            [12.5, 1234.5, -0.5],
        ),
        (
            ["1\u00a0234,50 €", "7,5"],
            {"decimal": ",", "thousands": "\u00a0"},
            [1234.5, 7.5],
        ),
        # negatives as accounting exports write them
        (
            ["(1,234.50)", "($12.50)", "1234.50-", "17-", "(7)"],
            {"thousands": ","},
            [-1234.5, -12.5, -1234.5, -17, -7],
        ),
        (["(12,50 €)", "3,5-"], {"decimal": ","}, [-12.5, -3.5]),
        (["abc", "12.5.1", "", "(abc)", "2024-01-"], {}, [None] * 5),
    ],
)
def test_numbers_written_as_text_are_read_with_the_files_marks(text, marks, expected):
    read = numbers_from_text(
        pd.Series(text), marks.get("decimal", "."), marks.get("thousands")
    )
    assert [None if pd.isna(v) else v for v in read] == expected


@pytest.mark.parametrize(
    ("values", "expected", "ambiguous"),
    [
        (["2024-03-15", "2024-04-01"], None, False),
        (["15/03/2024", "01/04/2024"], "%d/%m/%Y", False),
        (["03/15/2024", "04/01/2024"], "%m/%d/%Y", False),
        # the first of each month: both readings work; day-first spans the months
        ([f"01/{m:02d}/2024" for m in range(1, 13)], "%d/%m/%Y", True),
        (["31.12.2024 23:59", "01.02.2025 08:00"], "%d.%m.%Y %H:%M", False),
        # months as monthly panels write them
        (["202401", "202402"], "%Y%m", False),
        ([202401, 202402], "%Y%m", False),  # as integers in the file
        ([20240131, 20240229], None, False),  # 8 digits: ISO 8601's basic form
        (["01/2024", "12/2023"], "%m/%Y", False),
        (["Jan 2024", "Dec 2023"], "%b %Y", False),
        ([45292, 45322], "excel_days", False),  # a date cell saved as its number
        (["45292.375", "45300"], "excel_days", False),
        ([1717171717, 1719800000], "unix_seconds", False),
        # two-digit years: a US spreadsheet's short date, with and without its time
        (["1/31/23", "2/1/23", "12/5/22"], "%m/%d/%y", False),
        (["5/6/24 7:05", "12/31/24 23:59"], "%m/%d/%y %H:%M", False),
        (["31.01.23", "01.02.23"], "%d.%m.%y", False),
        (["31/01/23", "01/02/23"], "%d/%m/%y", False),
    ],
)
def test_the_date_format_is_read_off_every_value(values, expected, ambiguous):
    fmt, note = date_format_of(pd.Series(values))
    assert fmt == expected
    assert ("also readable" in note) is ambiguous


def test_unreadable_dates_are_missing_without_pandas_notes_in_the_log():
    """An unreadable date is named by the run's own error; pandas' "Could not infer
    format" warning came first in the log and said nothing about the column."""
    from risk_segments.schema import read_dates

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = read_dates(pd.Series(["31/31/2025", "2025-11-30", "2025-12-31"]))
    assert read.isna().tolist() == [True, False, False]
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize(
    "values",
    [
        ["15/03/2024", "03/15/2024"],
        [12345, 23456],  # %Y%m would read May 1234: no date
        [99999],  # 5 digits beyond the spreadsheet days of 1990-2049
    ],
)
def test_dates_no_format_reads_are_named(values):
    with pytest.raises(ValueError, match="no date format reads every value"):
        date_format_of(pd.Series(values))


def test_a_flag_set_only_where_the_outcome_happened_is_positive_where_filled(tmp_path):
    """`fraud_flag` 1 where fraud was found and blank elsewhere, as many exports write a
    flag: the draft stopped ("must hold two values; found 1: ['1.0']"). Filled is
    positive, blank negative, as for a churn date, and the comment says so."""
    table = churn_table(300, seed=22)
    table["Churn"] = np.where(table["Churn"] == "Yes", "1", "")
    path = _write(table, tmp_path / "flag.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    assert "positive_when_filled: true   # Churn: '1' where the outcome happened" in (
        draft.parameters
    )
    rows = _entry_rows(draft, "x", path)
    assert len(rows) == 300


def test_dates_of_two_formats_name_the_ones_the_common_format_misses():
    """An export whose dates are ISO but for a tenth written day-first: the message
    showed three ISO values, which read fine, and none of the ones that did not."""
    iso = [f"2024-03-{d:02d}T10:00:00+01:00" for d in range(1, 28)]
    with pytest.raises(
        ValueError, match=r"ISO 8601 reads 27 of the 30 .* e\.g\. \['24/02"
    ):
        date_format_of(
            pd.Series(
                [*iso, "24/02/2023 14:51", "25/02/2023 09:10", "26/02/2023 11:00"]
            )
        )


def test_spreadsheet_day_numbers_are_read_as_their_dates():
    from risk_segments.schema import read_dates

    read = read_dates(pd.Series([45292, 45351]), "excel_days")
    assert read.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-02-29"]


def _write(table: pd.DataFrame, path: Path) -> Path:
    table.to_csv(path, index=False)
    return path


def test_a_leaky_column_is_set_aside_and_said(tmp_path):
    path = _write(churn_table(1500, seed=2, leak=True), tmp_path / "t.csv")
    draft = draft_tabular("leaky", path, tmp_path, "customerID", "Churn")
    assert any("cancel_code" in line and "leak" in line for line in draft.summary)
    drop = draft.parameters.split("    drop:")[1]
    assert '"cancel_code"' in drop and "likely leak" in drop
    assert "cancel_code:" not in draft.parameters.split("    drop:")[0]


def test_an_unknown_label_column_is_named(tmp_path):
    path = _write(churn_table(300, seed=3), tmp_path / "t.csv")
    # (a name in another case finds its column: "churn" is 'Churn')
    with pytest.raises(DraftError, match=r"--label 'churned' is not a column.*'Churn'"):
        draft_tabular("x", path, tmp_path, "customerID", "churned")


def test_a_timestamp_per_row_is_refused_as_a_snapshot_date(tmp_path):
    table = churn_table(300, seed=3)
    table["updated_at"] = pd.date_range("2025-01-01", periods=300, freq="37min")
    path = _write(table, tmp_path / "t.csv")
    with pytest.raises(
        DraftError, match=r"--date 'updated_at' has 300 different values"
    ):
        draft_tabular("x", path, tmp_path, "customerID", "Churn", date="updated_at")


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_true_false_column_is_drafted_as_the_run_reads_it(tmp_path, kind):
    import yaml

    from risk_segments.schema import validate_table

    table = churn_table(300, seed=3)
    table["paperless"] = table["SeniorCitizen"] == 1  # True / False in the file
    path = tmp_path / f"t.{kind}"
    table.to_csv(path, index=False) if kind == "csv" else table.to_parquet(path)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["categorical"]["paperless"] == ["false", "true"]
    raw = (
        pd.read_csv(
            path, **json.loads(draft.catalog.split("load_args: ")[1].splitlines()[0])
        )
        if kind == "csv"
        else pd.read_parquet(path)
    )
    read = validate_table(raw, {**schema, "as_of": "2099-01-01"}, "x.raw_table")
    assert len(read) == len(table)  # every row passes the drafted schema


def test_repeated_ids_are_refused_with_the_likely_reason(tmp_path):
    table = churn_table(300, seed=3)
    table.loc[5, "customerID"] = table.loc[4, "customerID"]
    path = _write(table, tmp_path / "t.csv")
    with pytest.raises(
        DraftError, match=r"2 rows share an id .*--date.*--kind order_log"
    ):
        draft_tabular("x", path, tmp_path, "customerID", "Churn")
    # rows an export repeated whole: say so, not "is it an order log?"
    copied = pd.concat([churn_table(300, seed=3), churn_table(300, seed=3).head(4)])
    path = _write(copied, tmp_path / "t.csv")
    with pytest.raises(
        DraftError, match=r"8 rows share an id .*4 of them are exact"
    ) as e:
        draft_tabular("x", path, tmp_path, "customerID", "Churn")
    assert "order_log" not in str(e.value)


def test_an_existing_use_case_is_not_overwritten(tmp_path):
    conf = tmp_path / "conf" / "base"
    conf.mkdir(parents=True)
    (conf / "parameters_seller_risk.yml").write_text("seller_risk:\n  kind: tabular\n")
    with pytest.raises(DraftError, match="exists already"):
        check_name("seller_risk", conf, force=False)
    with pytest.raises(DraftError, match="lower-case"):
        check_name("My-Case", conf, force=False)
    check_name("new_case", conf, force=False)


def test_the_draft_loads_as_configuration_with_text_levels(tmp_path, monkeypatch):
    """YAML reads Yes/No as booleans unless quoted: the levels must stay text."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=_no_local)
    table = churn_table(800, seed=4, n_unlabeled=50)
    table["Région"] = np.resize(["Île-de-France", "Bretagne"], 800)  # names as written
    table["日数"] = np.arange(800) % 37
    path = _write(table, project / "t.csv")
    draft = draft_tabular(ENTITY, path, project, "customerID", "Churn")
    assert '"Région": [Bretagne, "Île-de-France"]' in draft.parameters
    write_draft(draft, project / "conf" / "base", ENTITY)
    monkeypatch.chdir(project)
    # the loader made here must not stay the active one after the test
    monkeypatch.setattr("risk_segments.use_cases._active", None)
    params = load_config_at(project)["parameters"]
    assert declared(params)[ENTITY] == "tabular"
    schema = params[ENTITY]["schema"]
    assert schema["categorical"]["Partner"] == ["No", "Yes"]
    assert schema["categorical"]["Région"] == ["Bretagne", "Île-de-France"]
    assert schema["numeric"]["日数"] == [0, None]
    assert schema["positive_label"] == "Yes"
    assert schema["date_in_table"] is False and schema["as_of"]
    # defaults filled in for everything the draft did not write
    assert params[ENTITY]["supervised"]["catboost"]["iterations"] > 0
    assert params[ENTITY]["segmentation"]["kmeans"]["k_min"] >= 2
    # the nightly file: the drafted one, or the one the score run names (its name
    # carrying its date), without an edit of the catalog
    entry = f"{ENTITY}.score_input"
    assert load_config_at(project)["catalog"][entry]["filepath"] == "t.csv"
    tonight = {"score_file": {ENTITY: "exports/t_2026-12-07.csv"}}
    catalog = load_config_at(project, runtime_params=tonight)["catalog"]
    assert catalog[entry]["filepath"] == "exports/t_2026-12-07.csv"
    assert catalog[f"{ENTITY}.raw_table"]["filepath"] == "t.csv"


def test_a_table_without_an_outcome_loads_as_segments_only(tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=_no_local)
    table = churn_table(800, seed=4, n_unlabeled=0).drop(columns=["Churn"])
    table["snapshot_date"] = "2025-11-30"  # the extract's own date, no --date given
    path = _write(table, project / "t.csv")
    draft = draft_tabular(SEGMENTS, path, project, "customerID", None)
    write_draft(draft, project / "conf" / "base", SEGMENTS)
    monkeypatch.chdir(project)
    monkeypatch.setattr("risk_segments.use_cases._active", None)
    params = load_config_at(project)["parameters"]
    assert declared(params)[SEGMENTS] == "segments"
    block = params[SEGMENTS]
    assert block["schema"]["label_column"] is None
    # rows are dated by the run under a name of their own, not the table's column
    assert block["schema"]["date_column"] == "snapshot_date_2"
    assert "snapshot_date" in block["schema"]["drop"]
    assert block["report"]["title"].endswith("behavioural segments")
    assert block["segmentation"]["kmeans"]["k_min"] >= 2  # tabular defaults filled in
    assert block["segmentation"]["n_components"] is None  # no PCA, as the defaults
    assert "tenure" in block["schema"]["numeric"]
    # a segments block that names a label is a contradiction: said, not guessed
    from risk_segments.use_cases import with_defaults

    wrong = {SEGMENTS: {"kind": "segments", "schema": {"label_column": "Churn"}}}
    with pytest.raises(ValueError, match="kind segments has no label.*'Churn'"):
        with_defaults(wrong, {})


def _no_local(folder: str, names: list[str]) -> list[str]:
    return ["local"] if folder.endswith("conf") else []


def load_config_at(project: Path, runtime_params: dict | None = None):
    from risk_segments.settings import CONFIG_LOADER_ARGS, CONFIG_LOADER_CLASS

    return CONFIG_LOADER_CLASS(
        conf_source=str(project / "conf"),
        env="base",
        runtime_params=runtime_params,
        **{k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"},
    )


# --------------------------------------------------------------------------- end to end


def _kedro(project: Path, *args: str) -> subprocess.CompletedProcess:
    return kedro_cli(project, *args)


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def drafted(tmp_path_factory) -> Path:
    """A copy of the project where a user drafted and ran two use cases of their own."""
    project = copy_project(tmp_path_factory.mktemp("user_project"))
    inbox = project / "inbox"
    inbox.mkdir()
    customers = churn_table(1500, seed=5, n_unlabeled=100)
    customers["complained"] = np.where(np.arange(1500) % 4 == 0, "Y", "")  # or blank
    customers.to_csv(inbox / "customers.csv.gz", index=False)  # compressed, as mailed
    log = order_log(600, seed=6)  # saved as a European spreadsheet exports it
    log["Store"] = log["Store"].str.replace("Store 7", "München")
    write_european_export(
        log,
        inbox / "orders.csv",
        dates={"Purchased At": "%d.%m.%Y %H:%M"},
        numbers=("Total (EUR)",),
    )
    _ok(
        _kedro(
            project,
            "draft-use-case",
            "--name",
            ENTITY,
            "--table",
            "inbox/customers.csv.gz",
            "--id",
            "customerID",
            "--label",
            "Churn",
            "--positive",
            "Yes",
        )
    )
    _ok(
        _kedro(
            project,
            "draft-use-case",
            "--name",
            ORDERS,
            "--table",
            "inbox/orders.csv",
            "--kind",
            "order_log",
            "--customer",
            "Client Ref",
            "--date",
            "Purchased At",
            "--amount",
            "Total (EUR)",
            "--quantity",
            "Qty",
            "--order-id",
            "Basket",
        )
    )
    members = churn_table(1200, seed=8, n_unlabeled=0).drop(columns=["Churn"])
    members.to_csv(inbox / "members.csv", index=False)
    _ok(
        _kedro(
            project,
            "draft-use-case",
            "--name",
            SEGMENTS,
            "--table",
            "inbox/members.csv",
            "--id",
            "customerID",
        )
    )
    every = f"--namespaces={ENTITY},{ORDERS},{SEGMENTS}"
    _ok(_kedro(project, "run", every))
    scored = _kedro(project, "run", "--pipeline=score", every)
    _ok(scored)
    # the documented command (Kedro 1.7 deprecates it for --pipelines): no WARNING
    assert "is deprecated" not in scored.stdout + scored.stderr
    return project


def test_the_draft_refuses_to_overwrite_and_names_a_bad_label(drafted):
    again = _kedro(
        drafted,
        "draft-use-case",
        "--name",
        ENTITY,
        "--table",
        "inbox/customers.csv.gz",
        "--id",
        "customerID",
        "--label",
        "Churn",
    )
    assert again.returncode != 0 and "exists already" in again.stderr + again.stdout
    bad = _kedro(
        drafted,
        "draft-use-case",
        "--name",
        "other",
        "--table",
        "inbox/customers.csv.gz",
        "--id",
        "customerID",
        "--label",
        "Churned",
    )
    assert bad.returncode != 0 and "--label 'Churned'" in bad.stderr + bad.stdout


@pytest.mark.parametrize("name", [ENTITY, ORDERS])
def test_a_drafted_use_case_reaches_the_report(drafted, name):
    report = drafted / "data" / "08_reporting" / name / "report.html"
    assert report.exists() and "<h2 id='segments'>" in report.read_text()
    metrics = json.loads((report.parent / "metrics.json").read_text())
    assert 0.6 < metrics["roc_auc"]["value"] <= 1.0
    assert metrics["oracle"] is None  # a user's table: no truth, and the report says so


def test_the_entity_table_is_scored_one_row_per_input_row(drafted):
    table = pd.read_csv(
        drafted / "inbox" / "customers.csv.gz", dtype={"customerID": str}
    )
    scores = pd.read_parquet(
        drafted / "data" / "07_model_output" / ENTITY / "scores.parquet"
    )
    assert len(scores) == len(table)
    assert sorted(scores["customerID"]) == sorted(table["customerID"])
    assert np.isfinite(scores["risk_score"]).all()
    summary = json.loads(
        (drafted / "data" / "08_reporting" / ENTITY / "score_summary.json").read_text()
    )
    assert summary["rows_in"] == summary["rows_out"] == len(table)


def test_a_table_without_an_outcome_reaches_segments_and_nightly_assignments(
    drafted,
):
    params = yaml_block(
        (drafted / "conf" / "base" / f"parameters_{SEGMENTS}.yml").read_text()
    )[SEGMENTS]
    assert params["kind"] == "segments" and "label_column" not in params["schema"]
    reports = drafted / "data" / "08_reporting" / SEGMENTS
    page = (reports / "report.html").read_text()
    assert "<h2 id='segments'>" in page and "no outcome column" in page
    summary = json.loads((reports / "segments_summary.json").read_text())
    assert summary["rows"] == 1200 and summary["segments"] >= 2
    assert not (reports / "metrics.json").exists()  # no score was trained
    table = pd.read_csv(drafted / "inbox" / "members.csv", dtype={"customerID": str})
    scores = pd.read_parquet(
        drafted / "data" / "07_model_output" / SEGMENTS / "scores.parquet"
    )
    assert sorted(scores["customerID"]) == sorted(table["customerID"])
    assert "risk_score" not in scores.columns
    assert scores["segment_name"].notna().all()
    assert scores["segment"].nunique() == summary["segments"]
    # the segments' shares are watched for drift beside every feature
    monitoring = pd.read_parquet(reports / "score_monitoring.parquet")
    assert "segment" in set(monitoring["feature"])
    assert monitoring.loc[monitoring["feature"] == "segment", "psi"].item() < 0.01
    counted = json.loads((reports / "score_summary.json").read_text())["segment_rows"]
    assert counted == scores["segment_name"].value_counts().to_dict()
    manifests = list(
        (drafted / "data" / "06_models" / SEGMENTS / "artifacts").glob(
            "*/manifest.json"
        )
    )
    manifest = json.loads(manifests[0].read_text())
    assert manifest["kind"] == "segments"
    assert "risk_model.cbm" not in manifest["members"]


def test_the_order_log_scores_every_customer_at_the_newest_cutoff(drafted):
    log = pd.read_csv(
        drafted / "inbox" / "orders.csv", dtype=str, sep=";", encoding="cp1252"
    )
    scores = pd.read_parquet(
        drafted / "data" / "07_model_output" / ORDERS / "scores.parquet"
    )
    assert set(scores["customer_id"]) == set(log["Client Ref"])  # prefixed ids kept
    assert scores["snapshot_date"].nunique() == 1
    ranked = pd.read_csv(
        drafted / "data" / "08_reporting" / ORDERS / "user_propensity_scores.csv"
    )
    assert len(ranked) == len(scores)
    transactions = pd.read_parquet(
        drafted / "data" / "02_intermediate" / ORDERS / "transactions.parquet"
    )
    assert len(transactions) == log["Basket"].nunique()  # lines of a basket: one order
    amounts = log["Total (EUR)"].str.replace(".", "").str.replace(",", ".")
    assert transactions["amount"].sum() == pytest.approx(pd.to_numeric(amounts).sum())
    first = pd.to_datetime(log["Purchased At"], format="%d.%m.%Y %H:%M").min()
    assert transactions["order_time"].min() == first  # day first, as written
    params = (drafted / "conf" / "base" / f"parameters_{ORDERS}.yml").read_text()
    assert 'decimal: ","' in params and 'date_format: "%d.%m.%Y %H:%M"' in params


def test_a_dated_panel_gets_a_time_split_and_scores_the_newest_snapshot(tmp_path):
    months = pd.date_range("2025-01-31", periods=6, freq="ME")
    parts = []
    for i, month in enumerate(months):
        part = churn_table(400, seed=10 + i)
        part["customerID"] = [f"C-{j:04d}" for j in range(len(part))]
        part["month_end"] = month.strftime("%d/%m/%Y")  # day first, as people write
        parts.append(part)
    path = _write(pd.concat(parts, ignore_index=True), tmp_path / "panel.csv")
    draft = draft_tabular(
        "panel", path, tmp_path, "customerID", "Churn", date="month_end"
    )
    assert "strategy: time" in draft.parameters
    assert "rows: newest_snapshot" in draft.parameters
    assert 'date_column: "month_end"' in draft.parameters
    assert "date_in_table" not in draft.parameters
    assert (
        'date_format: "%d/%m/%Y"   # every value reads as %d/%m/%Y' in draft.parameters
    )
    # a monthly panel learns from each feature's change too, as the seller panel does
    block = yaml.safe_load(draft.parameters)["panel"]
    history = block["derived"]["history"]
    assert history["lags_months"] == [1, 3] and history["rolling_months"] == 3
    numeric = set(block["schema"]["numeric"])
    changed = set(history["delta_columns"]) | set(history["log_delta_columns"])
    assert changed == set(history["rolling_mean_columns"]) == numeric
    assert any("a panel of 6 dates 1 month(s) apart" in line for line in draft.summary)
    from risk_segments.modeling.features import add_history_features
    from risk_segments.schema import validate_table

    schema = {**block["schema"], "as_of": "2099-01-01"}
    read = validate_table(pd.read_csv(path), schema, "panel.raw_table")
    featured = add_history_features(read, schema, block["derived"])
    one = featured[featured["customerID"] == "C-0007"].sort_values("month_end")
    assert one["tenure_delta_1m"].iloc[1:].tolist() == pytest.approx(
        one["tenure"].diff().iloc[1:].tolist(), nan_ok=True
    )


@pytest.mark.parametrize(("step", "lags"), [(3, [3, 9]), (None, None)])
def test_a_panel_s_look_backs_follow_its_spacing(tmp_path, step, lags):
    """Quarterly snapshots look back 3 and 9 months; weekly ones (an id twice in a
    month) get no history features, which look back by months, and the draft says so."""
    dates = (
        pd.date_range("2024-03-31", periods=6, freq="3ME")
        if step
        else pd.date_range("2025-01-05", periods=6, freq="W")
    )
    parts = []
    for k, date in enumerate(dates):
        part = churn_table(200, seed=40 + k)
        part["customerID"] = [f"C{j:04d}" for j in range(200)]
        part["week"] = date.strftime("%Y-%m-%d")
        parts.append(part)
    path = _write(pd.concat(parts, ignore_index=True), tmp_path / "panel.csv")
    draft = draft_tabular("p", path, tmp_path, "customerID", "Churn", date="week")
    block = yaml.safe_load(draft.parameters)["p"]
    if lags:
        assert block["derived"]["history"]["lags_months"] == lags
    else:
        assert "derived" not in block
        assert any("more often than monthly" in line for line in draft.summary)


def test_a_quarterly_panel_written_as_quarters(tmp_path):
    """'2024Q1' (as finance and BI exports write a quarter) stopped the draft: no date
    format read it. It reads as the quarter's first day, in the draft and every run;
    and with six quarters, the newest unlabeled and two held out, no training row
    reaches 9 months back: the draft wrote that look-back anyway (a feature with no
    value in training, and warnings from numpy and scikit-learn)."""
    parts = []
    for k, quarter in enumerate(
        ["2024Q1", "2024-Q2", "Q3 2024", "2024Q4", "2025Q1", "2025Q2"]
    ):
        part = churn_table(200, seed=60 + k)
        part["customerID"] = [f"C{j:04d}" for j in range(200)]
        part["quarter"] = quarter
        if k == 5:
            part["Churn"] = ""  # tonight's quarter: not known yet
        parts.append(part)
    path = _write(pd.concat(parts, ignore_index=True), tmp_path / "q.csv")
    draft = draft_tabular(
        "q", path, tmp_path, "customerID", "Churn", "Yes", date="quarter"
    )
    block = yaml.safe_load(draft.parameters)["q"]
    assert block["schema"]["date_format"] == "quarters"
    assert block["derived"]["history"]["lags_months"] == [3]
    read = _entry_rows(draft, "q", path)
    assert sorted(read["quarter"].unique()) == list(
        pd.to_datetime(
            [
                "2024-01-01",
                "2024-04-01",
                "2024-07-01",
                "2024-10-01",
                "2025-01-01",
                "2025-04-01",
            ]
        )
    )


def test_the_12_hour_clock_and_iso_weeks_are_dates(tmp_path):
    """'1/31/2024 1:05:00 PM' (US spreadsheets, SQL Server, Salesforce) and '2025-W05'
    (weekly reports) stopped the draft: pandas guesses no format for a month-first
    12-hour clock, and none reads an ISO week."""
    parts = []
    for k in range(5):
        part = churn_table(150, seed=80 + k)
        part["customerID"] = [f"C{j:04d}" for j in range(150)]
        part["week"] = f"2025-W{k + 1:02d}"
        minutes = np.random.default_rng(k).integers(0, 60 * 24 * 300, 150)
        login = pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min")
        part["Last Login"] = [
            f"{t.month}/{t.day}/{t.year} {(t.hour - 1) % 12 + 1}:{t.minute:02d}:00 "
            f"{'AM' if t.hour < 12 else 'PM'}"
            for t in login
        ]
        parts.append(part)
    path = _write(pd.concat(parts, ignore_index=True), tmp_path / "weeks.csv")
    draft = draft_tabular(
        "w", path, tmp_path, "customerID", "Churn", "Yes", date="week"
    )
    schema = yaml_block(draft.parameters)["w"]["schema"]
    assert schema["date_format"] == "iso_weeks"
    assert schema["date_features"] == {"Last Login": "%m/%d/%Y %I:%M:%S %p"}
    read = _entry_rows(draft, "w", path)
    mondays = pd.to_datetime(["2024-12-30", "2025-01-27"])  # of 2025-W01 and -W05
    assert [read["week"].min(), read["week"].max()] == list(mondays)
    first = parts[-1]["Last Login"].iloc[0]
    when = pd.to_datetime(first, format="%m/%d/%Y %I:%M:%S %p")
    assert read["Last Login"].iloc[-150] == (
        pd.Timestamp("2025-01-27") - when
    ) / pd.Timedelta(days=1)


def test_a_feature_with_no_value_in_training_is_named_once(caplog):
    """A look-back longer than the training dates reach is a feature without a value
    in the training rows: numpy's "All-NaN slice" and scikit-learn's "Skipping
    features" warnings said so, from inside the libraries; now one warning names it."""
    import warnings

    from risk_segments.pipelines.supervised_risk.nodes import train_risk_model

    rng = np.random.default_rng(3)
    n = 400
    rows = pd.DataFrame(
        {
            "id": np.arange(n),
            "month": pd.Timestamp("2025-01-01"),
            "x": rng.normal(size=n),
            "x_delta_9m": np.nan,
            "y": (rng.random(n) < 0.3).astype(float),
        }
    )
    split = pd.DataFrame(
        {
            "id": rows["id"],
            "month": rows["month"],
            "role": np.where(np.arange(n) % 4 == 0, "valid", "train"),
        }
    )
    schema = {
        "id_column": "id",
        "date_column": "month",
        "label_column": "y",
        "categorical": {},
        "numeric": {"x": [None, None], "x_delta_9m": [None, None]},
    }
    conf = Path(__file__).parents[1] / "conf" / "base"
    defaults = yaml.safe_load((conf / "use_case_defaults.yml").read_text())
    supervised = {
        **defaults["use_case_defaults"]["common"]["supervised"],
        "catboost": {"iterations": 20, "thread_count": 1, "random_seed": 0},
        "imbalance_candidates": ["none"],
        "shap_table_rows": 100,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level("WARNING"):
            train_risk_model(rows, split, schema, None, supervised)
    named = [
        r.getMessage() for r in caplog.records if "no value in the" in r.getMessage()
    ]
    assert len(named) == 1 and "['x_delta_9m']" in named[0]


@pytest.mark.parametrize(
    ("months", "fmt"),
    [
        ([202403, 202404, 202405, 202406], "%Y%m"),
        ([20240331, 20240430, 20240531, 20240630], None),  # ISO 8601, basic form
    ],
)
def test_integer_snapshot_dates_are_their_digits_not_nanoseconds(tmp_path, months, fmt):
    """A panel's month written as an integer, read by pandas as int64: taken as
    nanoseconds since 1970, every month was one instant of 1 January 1970."""
    import yaml

    from risk_segments.schema import validate_table

    parts = []
    for k, month in enumerate(months):
        part = churn_table(300, seed=30 + k)
        part["customerID"] = [f"C{j:04d}" for j in range(300)]
        part["month"] = month
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    path = _write(table, tmp_path / "panel.csv")
    draft = draft_tabular("p", path, tmp_path, "customerID", "Churn", date="month")
    schema = {**yaml.safe_load(draft.parameters)["p"]["schema"], "as_of": "2099-01-01"}
    assert schema.get("date_format") == fmt
    assert "strategy: time" in draft.parameters  # four distinct months, not one
    read = validate_table(table, schema, "p.raw_table")
    got = read["month"].dt.strftime("%Y%m").unique().tolist()
    assert got == ["202403", "202404", "202405", "202406"]


def test_snapshot_dates_with_a_zone_keep_their_own_calendar_date():
    from risk_segments.schema import validate_table

    schema = {
        "id_column": "id",
        "date_column": "d",
        "label_column": "y",
        "numeric": {"x": [None, None]},
        "categorical": {},
        "as_of": "2099-01-01",
    }
    month_ends = pd.to_datetime(["2024-01-31", "2024-02-29"]).tz_localize(
        "Europe/Berlin"
    )
    table = pd.DataFrame(
        {"id": ["a", "b"], "d": month_ends, "x": [1.0, 2.0], "y": [0, 1]}
    )
    read = validate_table(table, schema, "panel.raw_table")
    assert read["d"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-29"]


def test_a_date_format_reads_the_dates_and_names_a_value_it_cannot():
    from risk_segments.schema import InvalidInputError, as_people_have_it

    schema = {
        "id_column": "id",
        "date_column": "month_end",
        "date_format": "%d/%m/%Y",
        "label_column": "y",
        "numeric": {},
        "categorical": {},
    }
    table = pd.DataFrame({"id": ["a", "b"], "month_end": ["31/01/2025", "28/02/2025"]})
    read = as_people_have_it(table, schema, "panel.raw_table")
    assert read["month_end"].tolist() == [
        pd.Timestamp("2025-01-31"),
        pd.Timestamp("2025-02-28"),
    ]
    table.loc[1, "month_end"] = "2025-02-28"
    with pytest.raises(
        InvalidInputError,
        match=r"'month_end' has 1 value\(s\) not in the format '%d/%m/%Y'.*row 2",
    ):
        as_people_have_it(table, schema, "panel.raw_table")


def test_an_order_log_too_short_for_three_cutoffs_is_refused(tmp_path):
    from risk_segments.drafting import draft_order_log

    log = order_log(100, seed=3, days=120)
    path = _write(log, tmp_path / "orders.csv")
    columns = ORDER_LOG_COLUMNS
    with pytest.raises(DraftError, match=r"fewer than 3 cutoffs.*--horizon-days"):
        draft_order_log("short", path, tmp_path, columns, horizon_days=90)


def _drafted_log(
    lines: pd.DataFrame, path: Path, columns: dict[str, str | None]
) -> tuple[Draft, dict, pd.DataFrame]:
    """Draft an order log written as `path`; its customer_view options, and the
    transactions the run makes of the file with them."""
    import yaml

    from risk_segments.drafting import draft_order_log
    from risk_segments.pipelines.data_processing.orders import (
        columns_to_transactions,
    )

    _write(lines, path)
    draft = draft_order_log("log", path, path.parent, columns, horizon_days=90)
    view = yaml.safe_load(draft.parameters)["log"]["customer_view"]
    return draft, view, columns_to_transactions(pd.read_csv(path, dtype=str), view)


def test_invoice_lines_with_a_unit_price_and_guest_rows_are_drafted(tmp_path):
    """The UCI "Online Retail" shape: price x quantity per line, guest invoices
    without a customer, cancellations, month-first times without zero padding."""
    from risk_segments.synthetic.user_tables import line_item_log

    lines = line_item_log(400, seed=3)
    columns = {
        "customer": "CustomerID",
        "date": "InvoiceDate",
        "unit_price": "UnitPrice",
        "quantity": "Quantity",
        "order_id": "InvoiceNo",
    }
    draft, view, transactions = _drafted_log(
        lines, tmp_path / "Online Retail.csv", columns
    )
    guests = int((lines["CustomerID"] == "").sum())
    returns = int((lines["Quantity"] < 0).sum())
    assert guests > 0 and returns > 0
    assert view["missing_customers"] == "exclude"
    assert view["negative_amounts"] == "exclude"
    assert view["date_format"] == "%m/%d/%Y %H:%M"
    assert f"{guests:,} of {len(lines):,} rows have no customer" in draft.summary[-1]
    # what the run makes of it: each kept invoice's total is the sum of price x qty
    kept = lines[(lines["CustomerID"] != "") & (lines["Quantity"] > 0)]
    totals = (kept["UnitPrice"] * kept["Quantity"]).groupby(kept["InvoiceNo"]).sum()
    got = transactions.set_index("order_id")["amount"].sort_index()
    assert got.index.tolist() == sorted(totals.index)
    assert got.to_numpy() == pytest.approx(totals.sort_index().to_numpy())


def test_product_lines_without_an_order_number_are_one_order_per_basket(tmp_path):
    """A grocery's till lines (Ta-Feng's shape): one row per product, the customer
    and the day, no order number. Every row was an order, so a basket of five
    products was five purchases on one day, and frequency, the gaps between orders
    and the buy-till-you-die fits counted products."""
    from risk_segments.synthetic.user_tables import line_item_log

    lines = line_item_log(400, seed=4)
    lines = lines[(lines["CustomerID"] != "") & (lines["Quantity"] > 0)].copy()
    lines["day"] = pd.to_datetime(lines["InvoiceDate"]).dt.strftime("%Y-%m-%d")
    lines["amount"] = (lines["UnitPrice"] * lines["Quantity"]).round(2)
    log = lines[["CustomerID", "day", "StockCode", "amount"]]
    columns = {"customer": "CustomerID", "date": "day", "amount": "amount"}
    draft, view, transactions = _drafted_log(log, tmp_path / "till.csv", columns)
    assert view["order_from"] == "time"
    baskets = log.groupby(["CustomerID", "day"])["amount"].sum()
    assert len(log) > 2 * len(baskets) and len(transactions) == len(baskets)
    assert transactions["amount"].sum() == pytest.approx(baskets.sum())
    # one row per order already: nothing shares its customer and time
    one = log.drop_duplicates(["CustomerID", "day"])
    _, view, _ = _drafted_log(one, tmp_path / "orders.csv", columns)
    assert "order_from" not in view


def test_a_log_of_events_without_an_amount_counts_its_rows(tmp_path):
    """A visits or events log (customer, time; Retailrocket's shape) has no amount:
    the draft refused it without --amount. Each row counts 1, so spend is the number
    of events; an amount mapped beside count_rows is a contradiction, said."""
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = order_log(150, seed=9)[["Client Ref", "Purchased At"]].drop_duplicates()
    columns = {"customer": "Client Ref", "date": "Purchased At"}
    draft, view, transactions = _drafted_log(log, tmp_path / "visits.csv", columns)
    assert view["count_rows"] is True and view["columns"]["amount"] is None
    assert "amount: null   # not given: count_rows below" in draft.parameters
    assert len(transactions) == len(log) and (transactions["amount"] == 1).all()
    mapped = {**view, "columns": {**view["columns"], "amount": "Purchased At"}}
    with pytest.raises(InvalidInputError, match=r"count_rows counts each row as 1"):
        columns_to_transactions(pd.read_csv(tmp_path / "visits.csv", dtype=str), mapped)


def test_a_log_of_events_of_which_some_are_orders_keeps_the_orders(tmp_path):
    """Web analytics and Retailrocket log views and carts beside purchases, the amount
    and order id on purchases only: every row needed an amount, and the run stopped
    on "short lines". The event type only rows with an amount hold is kept (drafted as
    keep_values, said); a run without it names that column."""
    from risk_segments.pipelines.data_processing.orders import (
        columns_to_transactions,
        order_events,
    )

    log = order_log(150, seed=10).assign(Event="purchase")
    views = log.assign(Event="View")[["Client Ref", "Purchased At", "Store", "Event"]]
    events = pd.concat([views.iloc[::2], log, views.iloc[1::3]], ignore_index=True)
    draft, view, transactions = _drafted_log(
        events, tmp_path / "events.csv", ORDER_LOG_COLUMNS
    )
    assert view["keep_values"] == {"Event": ["purchase"]}
    assert any("a log of events: only rows with" in note for note in draft.summary)
    alone = columns_to_transactions(log.astype(str), {**view, "keep_values": {}})
    assert len(transactions) == len(alone) == log["Basket"].nunique()
    assert transactions["amount"].sum() == pytest.approx(alone["amount"].sum())
    with pytest.raises(
        InvalidInputError, match=r"keep_values: \{'Event': \['purchase'\]"
    ):
        columns_to_transactions(
            pd.read_csv(tmp_path / "events.csv", dtype=str),
            {**view, "keep_values": {}},
        )
    # an export with the amount on an order's first line only: lines, not events
    later = log.assign(**{"Total (EUR)": log["Total (EUR)"].astype(object)})
    later.loc[later["Basket"].duplicated(), "Total (EUR)"] = None
    later.loc[later["Basket"].duplicated(), "Event"] = "line"
    assert later["Total (EUR)"].isna().any()
    assert order_events(later.astype("string"), ORDER_LOG_COLUMNS) is None


def test_a_log_of_events_with_a_price_on_every_event_counts_purchases_only(tmp_path):
    """REES46's shape (event_type view / cart / remove_from_cart / purchase, the
    product's price on every event): every view was an order at that price, in
    silence. The purchases are kept by their event word; a nightly file's new event
    type (wishlist) is no order either."""
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = order_log(150, seed=11).assign(event_type="purchase")
    rng = np.random.default_rng(11)
    other = log.assign(
        event_type=rng.choice(["view", "cart", "remove_from_cart"], len(log))
    )
    events = pd.concat([other, log], ignore_index=True).sample(frac=1, random_state=1)
    draft, view, transactions = _drafted_log(
        events, tmp_path / "rees.csv", ORDER_LOG_COLUMNS
    )
    assert view["keep_values"] == {"event_type": ["purchase"]}
    alone = columns_to_transactions(log.astype(str), {**view, "keep_values": {}})
    assert len(transactions) == len(alone)
    assert transactions["amount"].sum() == pytest.approx(alone["amount"].sum())
    night = pd.concat([events, other.assign(event_type="wishlist")]).astype(str)
    again = columns_to_transactions(night, view)
    assert again["amount"].sum() == pytest.approx(alone["amount"].sum())
    shop = order_log(150, seed=11).assign(
        Channel=lambda t: np.where(t.index % 2, "online", "sale")
    )  # "sale" beside no browsing word: no events, every row an order
    draft, view, _ = _drafted_log(shop, tmp_path / "shop.csv", ORDER_LOG_COLUMNS)
    assert "keep_values" not in view


@pytest.mark.parametrize(
    ("unit", "fmt"), [("s", "unix_seconds"), ("ms", "unix_milliseconds")]
)
def test_an_event_log_with_unix_times_is_drafted_and_read_at_its_times(
    tmp_path, unit, fmt
):
    """App and API logs write times as seconds or milliseconds since 1970: no strftime
    format reads them, and read as a number they are no date at all."""
    log = order_log(150, seed=8)
    times = pd.to_datetime(log["Purchased At"])
    log["Purchased At"] = (times - pd.Timestamp("1970-01-01")) // pd.Timedelta(1, unit)
    draft, view, transactions = _drafted_log(
        log, tmp_path / "events.csv", ORDER_LOG_COLUMNS
    )
    assert view["date_format"] == fmt
    first = times.groupby(log["Basket"]).min().sort_index()
    got = transactions.set_index("order_id")["order_time"].sort_index()
    assert (got.to_numpy() == first.to_numpy()).all()


def test_order_numbers_counted_per_customer_are_orders_of_their_customer(tmp_path):
    """Every customer has an order 1, 2, ...: grouped by the number alone, customers'
    orders would be one order (or stop the run); an order is customer and number."""
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions
    from risk_segments.schema import InvalidInputError

    log = order_log(120, seed=9)
    number = log.groupby("Client Ref")["Basket"].rank(method="dense").astype(int)
    log["Basket"] = number.astype(str)
    draft, view, transactions = _drafted_log(
        log, tmp_path / "orders.csv", ORDER_LOG_COLUMNS
    )
    assert view["order_ids"] == "per_customer"
    assert any("order numbers per customer" in note for note in draft.summary)
    totals = log.groupby(["Client Ref", "Basket"])["Total (EUR)"].sum()
    assert len(transactions) == len(totals)
    got = transactions.groupby("customer_id")["amount"].sum().sort_index()
    want = log.groupby("Client Ref")["Total (EUR)"].sum().sort_index()
    assert got.to_numpy() == pytest.approx(want.to_numpy())
    without = {k: v for k, v in view.items() if k != "order_ids"}
    with pytest.raises(InvalidInputError, match="order_ids: per_customer"):
        columns_to_transactions(
            pd.read_csv(tmp_path / "orders.csv", dtype=str), without
        )


def test_rows_without_an_id_and_too_few_positives_are_refused(tmp_path):
    table = churn_table(2000, seed=11)
    blank = table.copy()
    blank.loc[[3, 50], "customerID"] = ""
    path = _write(blank, tmp_path / "blank.csv")
    with pytest.raises(DraftError, match=r"2 rows have no id \(file lines \[5, 52\]"):
        draft_tabular("x", path, tmp_path, "customerID", "Churn")
    rare = table.assign(Churn="No")
    rare.loc[::100, "Churn"] = "Yes"  # 20 positives: too few to hold some out
    path = _write(rare, tmp_path / "rare.csv")
    with pytest.raises(DraftError, match=r"20 positives; .* at least 30"):
        draft_tabular("x", path, tmp_path, "customerID", "Churn", positive="Yes")


# the columns of `user_tables.shop_export`, as a user maps them
SHOP_COLUMNS = {
    "customer": "Email",
    "date": "Created at",
    "amount": "Total",
    "quantity": None,
    "order_id": "Name",
}


def test_a_shop_export_with_order_fields_on_first_lines_is_drafted(tmp_path):
    """The Shopify shape: total, status and time on an order's first line only;
    refunded and voided orders are found by the draft and left out whole."""
    from risk_segments.synthetic.user_tables import shop_export

    lines = shop_export(400, seed=3)
    columns = SHOP_COLUMNS
    lines["Return Policy"] = np.resize(["no returns", "30 days"], len(lines))
    heads = lines.index[lines["Financial Status"] == "paid"][:3]
    lines.loc[heads, "Financial Status"] = "partially refunded"  # these happened
    _, view, transactions = _drafted_log(lines, tmp_path / "export.csv", columns)
    assert view["exclude_values"] == {"Financial Status": ["refunded", "voided"]}
    heads = lines[lines["Financial Status"] != ""]
    kept = heads[heads["Financial Status"].isin(["paid", "partially refunded"])]
    assert sorted(transactions["order_id"]) == sorted(kept["Name"])
    got = transactions.set_index("order_id").loc[kept["Name"]]
    assert got["amount"].to_numpy() == pytest.approx(kept["Total"].astype(float))
    # every order has its time, from its first line, on one clock (UTC)
    assert (
        got["order_time"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
        == (pd.to_datetime(kept["Created at"], utc=True).dt.tz_localize(None))
        .dt.strftime("%Y-%m-%d %H:%M:%S")
        .tolist()
    )


def test_an_order_total_written_on_every_line_is_counted_once(tmp_path):
    """WooCommerce and many ERP line exports repeat the order's total on each of its
    lines: the lines were summed, so an order of three lines counted three times its
    total (spend, order value and the spend model all inflated, without a word)."""
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions
    from risk_segments.synthetic.user_tables import shop_export

    lines = shop_export(400, seed=4)
    order = lines["Name"]
    lines["Total"] = (
        lines["Total"].replace("", np.nan).groupby(order).transform("first")
    )
    assert (order.value_counts() > 1).sum() > 50  # orders of several lines
    columns = SHOP_COLUMNS
    _, view, transactions = _drafted_log(lines, tmp_path / "woo.csv", columns)
    assert view["amount_per"] == "order"
    heads = lines[lines["Financial Status"] == "paid"]  # orders that happened
    totals = heads.groupby("Name")["Total"].first().astype(float)
    got = transactions.set_index("order_id")["amount"]
    assert sorted(got.index) == sorted(totals.index)
    assert got.loc[totals.index].to_numpy() == pytest.approx(totals.to_numpy())
    nightly = lines.copy()
    nightly.loc[nightly.index[order.duplicated(keep=False)][0], "Total"] = "1.00"
    with pytest.raises(InvalidInputError, match=r"amount_per is order.*1 order\(s\)"):
        columns_to_transactions(nightly.astype(str), view)
    # a misspelt value was read as `line` without a word: each total summed per line
    with pytest.raises(InvalidInputError, match=r"amount_per must be one of"):
        columns_to_transactions(lines.astype(str), {**view, "amount_per": "orders"})


@pytest.mark.parametrize(
    ("statuses", "left_out"),
    [
        (["Completed", "Refunded", "payment failed"], ["Refunded", "payment failed"]),
        # slugs as a shop's database stores them (WooCommerce): found none before
        (
            ["wc-completed", "wc-cancelled", "wc-refunded"],
            ["wc-cancelled", "wc-refunded"],
        ),
        (["ORDER_SHIPPED", "ORDER_REFUNDED"], ["ORDER_REFUNDED"]),
        (["paid", "partially refunded", "no-returns"], None),  # orders that happened
    ],
)
def test_orders_that_did_not_happen_are_found_by_their_status(statuses, left_out):
    from risk_segments.drafting import did_not_happen

    table = pd.DataFrame({"Status": np.resize(statuses, 60), "amount": 1.0})
    found = did_not_happen(table, {"amount"})
    assert (found["Status"][0] if found else None) == left_out


def test_a_table_with_few_numeric_columns_segments_on_its_categoricals_too(tmp_path):
    import yaml

    table = churn_table(600, seed=3)
    few = table[["customerID", "Contract", "InternetService", "tenure", "Churn"]]
    draft = draft_tabular(
        "x", _write(few, tmp_path / "few.csv"), tmp_path, "customerID", "Churn"
    )
    segmentation = yaml.safe_load(draft.parameters)["x"]["segmentation"]
    assert segmentation["features"] == ["tenure"]
    assert segmentation["category_features"] == ["Contract", "InternetService"]
    assert segmentation["n_components"] is None
    full = draft_tabular(
        "y", _write(table, tmp_path / "t.csv"), tmp_path, "customerID", "Churn"
    )
    assert (
        "category_features" not in yaml.safe_load(full.parameters)["y"]["segmentation"]
    )


def test_an_order_log_in_monthly_files_is_drafted_as_a_folder(tmp_path, monkeypatch):
    """Monthly exports in one folder: read as one log, in the catalog as a
    PartitionedDataset whose files are each checked for the drafted dialect."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.drafting import draft_order_log
    from risk_segments.pipelines.data_processing.orders import (
        columns_to_transactions,
    )

    log = order_log(300, seed=4)
    log.loc[log.index[-1], "Total (EUR)"] = 1234.5  # '1.234,50' in the last month only
    log.loc[log.index[-1], "Store"] = "München"  # Windows-1252 shows in one file only
    month = pd.to_datetime(log["Purchased At"]).dt.strftime("%Y-%m")
    folder = tmp_path / "orders"
    folder.mkdir()
    for name, part in log.groupby(month):
        write_european_export(
            part, folder / f"orders_{name}.csv", numbers=("Total (EUR)",)
        )
    (folder / "README.txt").write_text("exports from the shop system")
    columns = ORDER_LOG_COLUMNS
    draft = draft_order_log("monthly", folder, tmp_path, columns, horizon_days=90)
    assert f"(from {month.nunique()} '.csv' files)" in draft.summary[0]
    entry = yaml.safe_load(draft.catalog)["monthly.raw_orders"]
    assert entry["type"] == "partitions.PartitionedDataset"
    load_args = entry["dataset"]["load_args"]
    assert load_args["decimal"] == "," and load_args["thousands"] == "."
    assert load_args["encoding"] == "cp1252"
    view = yaml.safe_load(draft.parameters)["monthly"]["customer_view"]
    monkeypatch.chdir(tmp_path)  # the catalog's path is the project's
    loaded = DataCatalog.from_config({"orders": entry}).load("orders")
    transactions = columns_to_transactions(loaded, view)
    assert transactions["amount"].sum() == pytest.approx(log["Total (EUR)"].sum())
    # one month exported by another system, with decimal points: refused by name
    last = sorted(folder.glob("*.csv"))[-1]
    pd.read_csv(last, sep=";", decimal=",", thousands=".", encoding="cp1252").to_csv(
        last, sep=";", index=False
    )
    with pytest.raises(DraftError, match=rf"'{last.name}' is not written as"):
        draft_order_log("monthly", folder, tmp_path, columns, horizon_days=90)
    # ...or in utf-8 with accents beside Windows-1252 files: read alike, they would not be
    part = pd.read_csv(last, sep=";").assign(Store="Köln")
    part.to_csv(last, sep=";", decimal=",", index=False, encoding="utf-8")
    with pytest.raises(DraftError, match=rf"'{last.name}' is written in utf-8"):
        draft_order_log("monthly", folder, tmp_path, columns, horizon_days=90)


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_json_records_are_drafted_and_read_as_the_run_reads_them(tmp_path, suffix):
    """An API export: one JSON object per line (or an array of them); ids that look
    like numbers stay text, dates stay as written for the schema's format."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.schema import validate_table

    table = churn_table(400, seed=3, n_unlabeled=40)
    table["customerID"] = [f"{i:06d}" for i in range(400)]  # leading zeros
    table["month"] = np.where(np.arange(400) < 200, "2024-05-31", "2024-06-30")
    table["Churn"] = table["Churn"].replace("", None)
    path = tmp_path / f"customers{suffix}"
    table.to_json(path, orient="records", lines=suffix == ".jsonl")
    draft = draft_tabular("api", path, tmp_path, "customerID", "Churn", date="month")
    entry = yaml.safe_load(draft.catalog)["api.raw_table"]
    assert entry["type"] == "risk_segments.datasets.JSONTableDataset"
    loaded = DataCatalog.from_config({"t": {**entry, "filepath": str(path)}}).load("t")
    schema = {
        **yaml.safe_load(draft.parameters)["api"]["schema"],
        "as_of": "2099-01-01",
    }
    read = validate_table(loaded, schema, "api.raw_table")
    assert read["customerID"].tolist()[:2] == ["000000", "000001"]
    assert read["month"].dt.strftime("%Y-%m-%d").unique().tolist() == [
        "2024-05-31",
        "2024-06-30",
    ]
    assert read["Churn"].isna().sum() == 40


def test_nested_json_records_are_drafted_by_their_dotted_columns(tmp_path):
    """An API export nests objects ({"plan": {"name": ..., "price": ...}}) and lists:
    pandas reads a column of dicts, which crashed the draft (unhashable dict)."""
    import json

    rng = np.random.default_rng(4)
    records = [
        {
            "id": f"{i:05d}",
            "plan": {
                "name": str(rng.choice(["basic", "pro"])),
                "price": float(rng.uniform(5, 50)),
            },
            "usage": {
                "logins": int(rng.poisson(10)),
                "support": {"tickets": int(rng.poisson(1))},
            },
            "tags": ["a", "b"][: int(rng.integers(0, 3))],
            "churned": bool(rng.random() < 0.3),
        }
        for i in range(300)
    ]
    path = tmp_path / "accounts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    draft = draft_tabular("api", path, tmp_path, "id", "churned")
    schema = yaml_block(draft.parameters)["api"]["schema"]
    assert {"usage.logins", "usage.support.tickets", "plan.price"} <= set(
        schema["numeric"]
    )
    assert schema["categorical"]["plan.name"] == ["basic", "pro"]
    read = _entry_rows(draft, "api", path)
    assert read["usage.support.tickets"].tolist() == [
        r["usage"]["support"]["tickets"] for r in records
    ]
    assert read["id"].tolist()[:2] == ["00000", "00001"]


def test_a_panel_in_monthly_snapshot_files_is_drafted_as_a_folder(
    tmp_path, monkeypatch
):
    """One file per month-end (customers_2024-03.csv, ...): one panel, a time split,
    and the score batch reads the folder as one input."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.datasets.chunked_parquet_dataset import ParquetChunks
    from risk_segments.schema import validate_table

    folder = tmp_path / "snapshots"
    folder.mkdir()
    for k, month in enumerate(["2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]):
        part = churn_table(300, seed=60 + k).assign(month_end=month)
        part["customerID"] = [f"C{j:04d}" for j in range(300)]
        _write(part, folder / f"customers_{month[:7]}.csv")
    draft = draft_tabular(
        "panel", folder, tmp_path, "customerID", "Churn", date="month_end"
    )
    assert "strategy: time" in draft.parameters
    entry = yaml.safe_load(draft.catalog)["panel.score_input"]
    assert entry["type"] == "partitions.PartitionedDataset"
    monkeypatch.chdir(tmp_path)
    loaded = DataCatalog.from_config({"t": entry}).load("t")
    schema = {
        **yaml.safe_load(draft.parameters)["panel"]["schema"],
        "as_of": "2099-01-01",
    }
    read = validate_table(loaded, schema, "panel.raw_table")
    assert len(read) == 1200 and read["month_end"].nunique() == 4
    assert ParquetChunks.of(loaded, 500).n_rows == 1200  # the score batch's input


def test_monthly_files_dated_by_their_names_only_are_a_panel(tmp_path, monkeypatch):
    """customers_2024-03.csv, customers_2024-04.csv, ... with no date column inside: the
    draft stopped ("rows share an id") and a panel needed its files edited. The date
    comes from each file's name, in the draft and every run; a nightly file named
    without a date stops its load, naming it."""
    import yaml
    from kedro.io import DataCatalog, DatasetError

    from risk_segments.schema import validate_table

    folder = tmp_path / "snapshots"
    folder.mkdir()
    for k, month in enumerate(["2024-03", "2024-04", "2024-05", "2024-06", "2024-07"]):
        part = churn_table(300, seed=70 + k)
        part["customerID"] = [f"C{j:04d}" for j in range(300)]
        _write(part, folder / f"customers_{month}.csv")
    draft = draft_tabular("panel", folder, tmp_path, "customerID", "Churn", "Yes")
    block = yaml.safe_load(draft.parameters)["panel"]
    assert block["schema"]["date_column"] == "snapshot_date"
    assert "strategy: time" in draft.parameters
    assert any("the files' names hold their dates" in line for line in draft.summary)
    entry = yaml.safe_load(draft.catalog)["panel.score_input"]
    assert entry["dataset"]["date_from_name"] == "snapshot_date"
    monkeypatch.chdir(tmp_path)
    loaded = DataCatalog.from_config({"t": entry}).load("t")
    schema = {**block["schema"], "as_of": "2099-01-01"}
    read = validate_table(loaded, schema, "panel.raw_table")
    assert len(read) == 1500
    assert read.groupby("snapshot_date").size().to_dict() == {
        pd.Timestamp(f"2024-0{m}-01"): 300 for m in range(3, 8)
    }
    nightly = {**entry["dataset"], "filepath": str(tmp_path / "tonight.csv")}
    _write(churn_table(50, seed=1), tmp_path / "tonight.csv")
    with pytest.raises(DatasetError, match="tonight.csv.*holds no date"):
        DataCatalog.from_config({"n": nightly}).load("n")


def _entry_rows(draft: Draft, name: str, path: Path) -> pd.DataFrame:
    """The rows as the drafted catalog entry reads them, checked by the run's schema."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.schema import validate_table

    entry = yaml.safe_load(draft.catalog)[f"{name}.score_input"]
    loaded = DataCatalog.from_config({"t": {**entry, "filepath": str(path)}}).load("t")
    schema = {
        **yaml.safe_load(draft.parameters)[name]["schema"],
        "as_of": "2099-01-01",
    }
    return validate_table(loaded, schema, f"{name}.raw_table")


def test_a_file_without_a_header_or_an_id_is_drafted_by_column_and_line(tmp_path):
    """UCI's adult.data: no header line, no id column. Its columns are named
    column_1...; the rows are named by their line in the file."""
    table = churn_table(600, seed=4).drop(columns=["customerID"])
    path = tmp_path / "adult.data"
    table.to_csv(path, index=False, header=False)
    label = f"column_{table.columns.get_loc('Churn') + 1}"
    with pytest.raises(
        DraftError, match=rf"no header line.*{label}: (Yes|No), (No|Yes)"
    ):
        draft_tabular("adult", path, tmp_path, None, "Churn")
    draft = draft_tabular("adult", path, tmp_path, None, label, positive="Yes")
    assert any("no header line" in note for note in draft.summary)
    assert 'id_column: "line"' in draft.parameters
    read = _entry_rows(draft, "adult", path)
    read["line"] = read["line"].astype(int)  # ids are text to the run
    assert read["line"].tolist() == list(range(1, 601))
    lines = path.read_text().splitlines()
    tenure = f"column_{table.columns.get_loc('tenure') + 1}"
    for row in (0, 377, 599):  # the row named line N is the file's line N
        n = read["line"].iloc[row]
        assert lines[n - 1].split(",")[table.columns.get_loc("tenure")] == str(
            int(read[tenure].iloc[row])
        )


def test_an_id_column_left_out_of_the_options_is_pointed_at(tmp_path):
    table = churn_table(300, seed=4).drop(columns=["Churn"])
    draft = draft_tabular("t", _write(table, tmp_path / "t.csv"), tmp_path, None, None)
    assert 'id_column: "line"' in draft.parameters
    hints = [note for note in draft.summary if "draft again with --id" in note]
    assert len(hints) == 1 and '--id "customerID"' in hints[0]


def test_a_header_under_a_line_of_codes_is_read_from_its_line(tmp_path):
    """A two-row header saved to CSV (UCI's credit default: X1,X2,...,Y above the
    names), and a title line above that: the row of the options' names is the header;
    rows without an id are named by their file line (the lines above counted)."""
    table = churn_table(500, seed=5).drop(columns=["customerID"])
    path = tmp_path / "credit.csv"
    with path.open("w") as handle:
        handle.write("Customer extract\n\n")
        handle.write(",".join(f"X{j}" for j in range(len(table.columns))) + "\n")
        table.to_csv(handle, index=False)
    draft = draft_tabular("credit", path, tmp_path, None, "Churn", positive="Yes")
    assert any("the header is line 4" in note for note in draft.summary)
    read = _entry_rows(draft, "credit", path)
    read["line"] = read["line"].astype(int)
    assert list(read.columns[:3]) == ["line", *table.columns[:2]]
    lines = path.read_text().splitlines()
    for row in (0, 250, 499):
        fields = lines[read["line"].iloc[row] - 1].split(",")
        assert fields[table.columns.get_loc("tenure")] == str(
            int(read["tenure"].iloc[row])
        )


def test_a_number_that_stands_for_none_is_drafted_and_read_as_missing(tmp_path):
    """Home Credit's DAYS_EMPLOYED is 365243 (a thousand years) for 18% of applicants,
    bank marketing's pdays 999 for 'never contacted': segment means and profiles of
    such a column describe the code. -1 beside 1-871 is a value (the gap is small)."""
    table = churn_table(1000, seed=12)
    rng = np.random.default_rng(0)
    table["days_employed"] = np.where(
        rng.random(1000) < 0.2, 365243, -rng.integers(0, 15000, 1000)
    )
    table["pdays"] = np.where(rng.random(1000) < 0.9, 999, rng.integers(0, 28, 1000))
    table["offset"] = np.where(rng.random(1000) < 0.5, -1, rng.integers(1, 872, 1000))
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    codes = yaml_block(draft.parameters)["x"]["schema"]["missing_codes"]
    assert codes == {"days_employed": [365243], "pdays": [999]}
    read = _entry_rows(draft, "x", path)
    assert (
        read["days_employed"].isna().sum() == (table["days_employed"] == 365243).sum()
    )
    assert read["days_employed"].max() <= 0 and read["pdays"].max() <= 27
    assert read["offset"].min() == -1


def test_words_that_stand_for_none_in_a_column_of_numbers_are_read_as_missing(
    tmp_path,
):
    """'unknown' among ages, '>100000' among incomes: drafted as a categorical or as
    numbers the run then stopped on, these are a column of numbers with a few words
    for none, listed under missing_codes and read as missing by every run. A word held
    by many rows, or a number-like word among more than 1%, keeps the column text."""
    table = churn_table(1000, seed=16)
    rng = np.random.default_rng(1)
    draw = rng.random(1000)
    table["age"] = rng.integers(18, 80, 1000).astype(object)
    table.loc[draw < 0.03, "age"] = "unknown"
    table.loc[(draw >= 0.03) & (draw < 0.04), "age"] = " n.a. "
    table["income"] = rng.integers(1000, 90000, 1000).astype(object)
    table.loc[draw > 0.995, "income"] = ">100000"
    table["grade"] = rng.integers(1, 9, 1000).astype(object)
    table.loc[draw < 0.2, "grade"] = "unknown"  # a fifth: a level, not a gap
    table["rooms"] = rng.integers(1, 6, 1000).astype(object)
    table.loc[draw > 0.95, "rooms"] = "6+"  # a number-like word among 5%
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    schema = yaml_block(draft.parameters)["x"]["schema"]
    assert schema["missing_codes"] == {
        "age": ["n.a.", "unknown"],
        "income": [">100000"],
    }
    assert {"age", "income"} <= set(schema["numeric"])
    assert {"grade", "rooms"} <= set(schema["categorical"])
    read = _entry_rows(draft, "x", path)  # the run's schema check passes
    assert read["age"].isna().sum() == (draw < 0.04).sum()
    assert read["income"].isna().sum() == (draw > 0.995).sum()
    assert read["age"].max() < 80 and read["income"].max() < 90000
    tonight = table.head(200).copy()  # a nightly extract writes the word another way
    tonight.loc[tonight["age"] == "unknown", "age"] = " UNKNOWN"
    assert (tonight["age"] == " UNKNOWN").any()
    read = _entry_rows(draft, "x", _write(tonight, tmp_path / "tonight.csv"))
    assert read["age"].isna().sum() == (draw[:200] < 0.04).sum()


def yaml_block(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_excels_unicode_text_export_is_read_as_utf16(tmp_path, encoding):
    """Excel's "Unicode Text" save: tab-separated UTF-16 (with a byte-order mark; some
    tools write none). Read as one-byte text, every name was NUL-spaced."""
    table = churn_table(300, seed=14)
    table["city"] = np.where(np.arange(300) % 3, "München", "Köln")
    path = tmp_path / "export.txt"
    table.to_csv(path, sep="\t", index=False, encoding=encoding)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    args = yaml_block(draft.catalog)["x.raw_table"]["load_args"]
    assert args["sep"] == "\t" and args["encoding"] == encoding
    read = _entry_rows(draft, "x", path)
    assert read["customerID"].tolist() == table["customerID"].tolist()
    assert read["city"].tolist() == table["city"].tolist()


def test_empty_rows_a_spreadsheet_saves_below_a_table_are_left_out_and_said(tmp_path):
    """Excel saves formatted empty rows as `,,,,`: read as rows without an id they
    stopped the draft; they are no rows, and every run says how many it left out."""
    table = churn_table(300, seed=15)
    path = tmp_path / "t.csv"
    text = table.to_csv(index=False)
    blank = "," * (len(table.columns) - 1) + "\n"
    lines = text.splitlines(keepends=True)
    # and a blank line, which pandas skips: the rows below it kept their own lines
    parts = lines[:101] + [blank] + lines[101:201] + ["\n"] + lines[201:]
    path.write_text("".join(parts + [blank, blank]))
    draft = draft_tabular("x", path, tmp_path, None, "Churn", "Yes")
    assert any(
        "4 row(s) with every field empty" in n and "[102, 203, 304, 305]" in n
        for n in draft.summary
    )
    read = _entry_rows(draft, "x", path)
    assert len(read) == 300
    by_line = read.set_index(read["line"].astype(int))["tenure"]
    assert by_line[103] == table["tenure"].iloc[100]  # the row after the empty one
    assert by_line[204] == table["tenure"].iloc[200]  # ...and after the blank line


def test_a_closing_sum_line_of_a_report_is_no_entity(tmp_path):
    """A report export ends with its sum ("Total,,,,1234"): read as a row, it was an
    unlabeled entity named Total, segmented and scored every night."""
    table = churn_table(300, seed=16)
    path = tmp_path / "report.csv"
    footer = "Total:" + "," * 11 + str(round(table["MonthlyCharges"].sum(), 2))
    footer += "," * (len(table.columns) - 12) + "\n"
    path.write_text(table.to_csv(index=False) + footer)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert any(
        "1 row(s) that sum the table" in n and "[302]" in n for n in draft.summary
    )
    read = _entry_rows(draft, "x", path)
    assert read["customerID"].tolist() == table["customerID"].tolist()


def test_a_note_below_the_sum_line_is_no_entity_either(tmp_path):
    """A CRM export closes with its sum and a line saying where it came from: the note
    hid the sum line, whose label value (830) made the label a third value."""
    table = churn_table(300, seed=17)
    path = tmp_path / "export.csv"
    width = len(table.columns)
    footer = "Total" + "," * (width - 1) + "\n"
    note = "Exported from CRM on 30/06/2024" + "," * (width - 1) + "\n"
    path.write_text(table.to_csv(index=False) + footer + note)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert any(
        "1 row(s) that sum the table" in n and "[302]" in n for n in draft.summary
    )
    assert any(
        "1 row(s) below the table with one field of words" in n and "[303]" in n
        for n in draft.summary
    )
    read = _entry_rows(draft, "x", path)
    assert read["customerID"].tolist() == table["customerID"].tolist()
    # a last row with its id alone (every feature missing) is a row
    path.write_text(table.to_csv(index=False) + "C-LAST-1" + "," * (width - 1) + "\n")
    draft = draft_tabular("y", path, tmp_path, "customerID", "Churn", "Yes")
    assert _entry_rows(draft, "y", path)["customerID"].iloc[-1] == "C-LAST-1"


def test_a_salesforce_footer_is_no_entity(tmp_path):
    """Salesforce ends a report export with its sum, a copyright, a confidentiality
    line, who generated it and the company's name, set apart by empty lines: the five
    were read as five unlabeled entities, scored every night."""
    table = churn_table(300, seed=18)
    path = tmp_path / "report.csv"
    footer = (
        '\n\n"Grand Totals (300 records)"\n\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Generated By:  Jane Doe  12/7/2026 10:23 AM"\n"Acme Corp"\n'
    )
    path.write_text(table.to_csv(index=False) + footer)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert "(300 rows," in draft.parameters
    assert any("1 row(s) that sum the table" in n for n in draft.summary)
    assert any("4 row(s) below the table with one field" in n for n in draft.summary)
    read = _entry_rows(draft, "x", path)
    assert read["customerID"].tolist() == table["customerID"].tolist()
    # the company's name alone right below the table, not set apart: kept as a row
    path.write_text(table.to_csv(index=False) + '"Acme Corp"\n')
    draft = draft_tabular("y", path, tmp_path, "customerID", "Churn", "Yes")
    assert _entry_rows(draft, "y", path)["customerID"].iloc[-1] == "Acme Corp"


def test_exports_appended_with_their_headers_read_as_one_table(tmp_path):
    """`cat jan.csv feb.csv > all.csv` repeats the header inside the file: read as a
    row it was an entity named customerID, the label had a third value 'Churn' and
    every column of numbers was text. The lines are left out, the numbers are numbers,
    and rows named by their lines keep their own."""
    table = churn_table(300, seed=19)
    path = tmp_path / "appended.csv"
    text = table.iloc[:120].to_csv(index=False) + table.iloc[120:].to_csv(index=False)
    path.write_text(text + table.iloc[:0].to_csv(index=False))  # and a header alone
    draft = draft_tabular("x", path, tmp_path, None, "Churn", "Yes")
    assert "(300 rows," in draft.parameters
    assert any(
        "2 row(s) repeating the header" in n and "[122, 303]" in n
        for n in draft.summary
    )
    assert "    tenure: [0, null]" in draft.parameters  # a number, not a category
    read = _entry_rows(draft, "x", path)
    assert len(read) == 300 and read["tenure"].dtype.kind in "if"
    assert read["tenure"].tolist() == table["tenure"].tolist()
    by_line = read.set_index(read["line"].astype(int))["MonthlyCharges"]
    assert by_line[121] == table["MonthlyCharges"].iloc[119]
    assert by_line[123] == table["MonthlyCharges"].iloc[120]  # below the header


def test_a_long_file_appended_with_its_header_reads_without_pandas_warning(tmp_path):
    """pandas reads a long file in blocks, and a header line in one of them made its
    columns text there: "DtypeWarning: Columns (1, 2) have mixed types" in every run's
    log. The second reading has the types, and the first one's warning is not passed on."""
    from risk_segments.datasets import CSVTableDataset

    n = 300_000  # blocks of rows: the header line falls in the second
    rows = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "x": range(n)})
    rows["y"] = rows["x"] * 0.5
    path = tmp_path / "long.csv"
    path.write_text(
        rows.iloc[: n // 3].to_csv(index=False)
        + rows.iloc[n // 3 :].to_csv(index=False)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = CSVTableDataset(filepath=str(path)).load()
    assert len(read) == n and read["x"].dtype.kind == "i"
    assert read["y"].iloc[-1] == (n - 1) / 2


def test_a_file_cut_short_in_a_row_stops_its_load(tmp_path):
    """A nightly extract read while it is still being written ends mid-row: pandas
    read `C-9,64,15.4` as a row whose fee was 15.4 (of 15.43) and whose other fields
    were missing, and it was scored. A whole file without a last line end still reads."""
    from kedro.io import DatasetError

    table = churn_table(300, seed=20)
    path = tmp_path / "t.csv"
    text = table.to_csv(index=False)
    path.write_text(text.rstrip("\n"))  # whole, no line end after the last row
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert len(_entry_rows(draft, "x", path)) == 300
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    cut = last.split(",")[:3]
    path.write_text(text.rstrip("\n")[: -len(last)] + ",".join(cut))
    with pytest.raises(DatasetError, match=r"ends in the middle of a row.*holds 3 of"):
        _entry_rows(draft, "x", path)
    with pytest.raises(DraftError, match=r"ends in the middle of a row"):
        draft_tabular("y", path, tmp_path, "customerID", "Churn", "Yes")


def test_a_dos_end_of_file_mark_is_no_row(tmp_path):
    """DOS-era and some Windows tools end a file with Ctrl-Z after its last line: pandas
    read the mark as one more row (an entity named by it, scored) and the number
    column in front of it as text. The mark is no row; marks inside the rows stop."""
    from kedro.io import DatasetError

    table = churn_table(300, seed=21)
    table = table[["tenure", *table.columns.drop("tenure")]]  # numbers first
    path = tmp_path / "dos.csv"
    text = table.to_csv(index=False, lineterminator="\r\n")
    path.write_text(text + "\x1a", newline="")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert "tenure: [0, null]" in draft.parameters  # a number, not text
    read = _entry_rows(draft, "x", path)
    assert len(read) == 300 and read["tenure"].dtype.kind in "if"
    assert read["customerID"].tolist() == table["customerID"].tolist()
    path.write_text(text.replace("\r\n", "\x1a\r\n", 1) + "\x1a", newline="")
    with pytest.raises(DatasetError, match=r"Ctrl-Z\) and holds 1 more"):
        _entry_rows(draft, "x", path)


def test_rows_are_named_by_line_only_in_one_file_of_one_snapshot(tmp_path):
    table = churn_table(300, seed=6).assign(month="2024-06-30")
    table.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DraftError, match=r"--id: a \.parquet file has no lines"):
        draft_tabular("x", tmp_path / "t.parquet", tmp_path, None, "Churn")
    path = _write(table, tmp_path / "t.csv")
    with pytest.raises(DraftError, match=r"--date 'month'.* needs --id"):
        draft_tabular("x", path, tmp_path, None, "Churn", date="month")
    with_line = _write(table.rename(columns={"tenure": "line"}), tmp_path / "l.csv")
    draft = draft_tabular("x", with_line, tmp_path, None, "Churn", positive="Yes")
    assert 'id_column: "line_2"' in draft.parameters  # the file's own 'line' is kept
    assert _entry_rows(draft, "x", with_line)["line_2"].iloc[0] == "2"


def test_customer_emails_written_in_two_cases_are_one_customer(tmp_path):
    """A shop export keys customers by e-mail, and the same person is
    `CUST-00003@Shop.com` on some orders and `cust-00003@shop.com` on others: read
    exactly, one customer's history is split in two and the base counts phantoms."""
    log = order_log(150, seed=4)
    email = log["Client Ref"].str.lower() + "@shop.com"
    respelled = np.arange(len(log)) % 3 == 0
    log["Client Ref"] = email.where(~respelled, email.str.upper())
    draft, view, transactions = _drafted_log(
        log, tmp_path / "orders.csv", ORDER_LOG_COLUMNS
    )
    assert view["customer_ids"] == "ignore_case"
    assert "read as one customer each" in draft.summary[-1]
    assert transactions["customer_id"].nunique() == email.nunique()
    assert set(transactions["customer_id"]) == set(email)
    # every order still counted once, with its lines summed
    assert len(transactions) == log["Basket"].nunique()


def test_a_few_ids_in_two_cases_are_kept_apart_and_named():
    from risk_segments.drafting import _customer_case

    ids = pd.Series([f"K{i:04d}x" for i in range(1000)] + ["K0001X", "  ", None])
    how, note = _customer_case(ids)
    assert how == "exact"
    assert "'K0001x' / 'K0001X'" in note and "ignore_case" in note
    assert _customer_case(pd.Series(["a1", "b2", "C3"])) == (None, "")
    many = pd.Series([f"k{i:03d}" for i in range(100)] + ["K001", "K002"])
    assert _customer_case(many)[0] == "ignore_case"  # 2 of 100 ids: 2%


def test_customer_ids_option_reads_case_as_configured():
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = pd.DataFrame(
        {
            "who": ["Anna@X.com", "anna@x.com ", "bo@x.com"],
            "when": ["2024-01-02", "2024-02-03", "2024-02-04"],
            "total": ["10", "20", "30"],
        }
    )
    options = {"columns": {"customer": "who", "date": "when", "amount": "total"}}
    exact = columns_to_transactions(log, options)
    assert sorted(exact["customer_id"]) == ["Anna@X.com", "anna@x.com", "bo@x.com"]
    one = columns_to_transactions(log, {**options, "customer_ids": "ignore_case"})
    assert one["customer_id"].tolist() == ["anna@x.com", "anna@x.com", "bo@x.com"]
    assert log["who"].tolist()[0] == "Anna@X.com"  # the caller's table untouched
    with pytest.raises(InvalidInputError, match=r"customer_ids must be one of"):
        columns_to_transactions(log, {**options, "customer_ids": "lower"})


def test_ids_stored_as_floats_name_the_same_customer_and_order():
    """A month whose export had a blank customer stored every id as a float: read as
    '1001.0' there and '1001' in the other months, each customer was two."""
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = pd.DataFrame(
        {
            "who": ["1001", "1001.0", " 00017", "00017"],  # the zeros stay
            "order": ["5", "6.0", "7", "8"],
            "when": ["2024-01-02", "2024-02-03", "2024-02-04", "2024-03-04"],
            "total": ["10", "20", "30", "40"],
        }
    )
    columns = {
        "customer": "who",
        "order_id": "order",
        "date": "when",
        "amount": "total",
    }
    read = columns_to_transactions(log, {"columns": columns})
    assert read["customer_id"].tolist() == ["1001", "1001", "00017", "00017"]
    assert read["order_id"].tolist() == ["5", "6", "7", "8"]
    floats = log.assign(who=[1001.0, 1001.0, 17.0, np.nan], order=[5.0, 6.0, 7.0, 8.0])
    read = columns_to_transactions(
        floats, {"columns": columns, "missing_customers": "exclude"}
    )
    assert read["customer_id"].tolist() == ["1001", "1001", "17"]


def test_a_log_in_several_currencies_is_converted_before_it_is_summed(tmp_path):
    """An international shop's export: amounts in EUR, GBP and USD side by side. Summed
    as they stand, a customer's spend mixes units; the draft writes the rates to fill in
    and the run stops until they are, then converts every amount."""
    import yaml

    from risk_segments.drafting import draft_order_log
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = order_log(150, seed=5)
    log["Currency"] = np.where(
        np.arange(len(log)) % 5 == 0,
        "GBP",
        np.where(np.arange(len(log)) % 7 == 0, "usd", "EUR"),
    )
    path = _write(log, tmp_path / "orders.csv")
    draft = draft_order_log("log", path, tmp_path, ORDER_LOG_COLUMNS, horizon_days=90)
    view = yaml.safe_load(draft.parameters)["log"]["customer_view"]
    assert view["currency"] == {
        "column": "Currency",
        "rates": {"EUR": 1.0, "GBP": None, "USD": None},
    }
    assert any("fill in customer_view.currency.rates" in n for n in draft.summary)
    table = pd.read_csv(path, dtype=str)
    with pytest.raises(InvalidInputError, match=r"without a rate.*'GBP'.*'USD'"):
        columns_to_transactions(table, view)
    view["currency"]["rates"].update(GBP=1.15, USD=0.9)
    got = columns_to_transactions(table, view).set_index("order_id")["amount"]
    rate = log["Currency"].str.upper().map({"EUR": 1.0, "GBP": 1.15, "USD": 0.9})
    expected = (log["Total (EUR)"] * rate).groupby(log["Basket"]).sum()
    assert got.sort_index().to_numpy() == pytest.approx(
        expected.sort_index().to_numpy()
    )


def test_amounts_written_with_their_currency_code_are_read_in_it(tmp_path):
    """A payments export writes `USD 28.65` or `28.65 EUR` in the amount column: the
    draft stopped with "non-numeric values". Read with their code, each in its
    currency; a log without `currency:` stops, so USD and EUR are never one money."""
    import yaml

    from risk_segments.drafting import draft_order_log
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = order_log(150, seed=7)
    euro = np.arange(len(log)) % 4 == 0
    log["Total (EUR)"] = np.where(
        euro,
        log["Total (EUR)"].map(lambda a: f"{a:.2f} EUR"),
        log["Total (EUR)"].map(lambda a: f"USD {a:,.2f}"),
    )
    path = _write(log, tmp_path / "orders.csv")
    draft = draft_order_log("log", path, tmp_path, ORDER_LOG_COLUMNS, horizon_days=90)
    view = yaml.safe_load(draft.parameters)["log"]["customer_view"]
    assert view["currency"] == {
        "column": "Total (EUR)",
        "rates": {"USD": 1.0, "EUR": None},
    }
    table = pd.read_csv(path, dtype=str)
    with pytest.raises(InvalidInputError, match=r"without a rate.*'EUR'"):
        columns_to_transactions(table, view)
    view["currency"]["rates"]["EUR"] = 1.1
    got = columns_to_transactions(table, view).set_index("order_id")["amount"]
    amounts = order_log(150, seed=7)["Total (EUR)"].round(2) * np.where(euro, 1.1, 1.0)
    expected = amounts.groupby(log["Basket"]).sum()
    assert got.sort_index().to_numpy() == pytest.approx(
        expected.sort_index().to_numpy()
    )
    with pytest.raises(InvalidInputError, match=r"'Total \(EUR\)' writes a currency"):
        columns_to_transactions(table, {**view, "currency": None})
    brazil = table.assign(**{"Total (EUR)": "R$ 12,50"})  # a currency no rate names
    with pytest.raises(InvalidInputError, match=r"without a rate.*'R\$'"):
        columns_to_transactions(brazil, {**view, "decimal": ","})


def test_a_one_currency_log_stops_on_a_currency_the_draft_never_saw(tmp_path):
    import yaml

    from risk_segments.drafting import draft_order_log
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = order_log(150, seed=6).assign(Currency="EUR")
    path = _write(log, tmp_path / "orders.csv")
    draft = draft_order_log("log", path, tmp_path, ORDER_LOG_COLUMNS, horizon_days=90)
    view = yaml.safe_load(draft.parameters)["log"]["customer_view"]
    assert view["currency"]["rates"] == {"EUR": 1.0}
    table = pd.read_csv(path, dtype=str)
    plain = columns_to_transactions(
        table.drop(columns="Currency"), {**view, "currency": None}
    )
    assert columns_to_transactions(table, view).equals(plain)
    table.loc[3, "Currency"] = "CHF"  # the nightly file has a new one
    with pytest.raises(InvalidInputError, match=r"\{'CHF': 1\} \(lines \[5\]\)"):
        columns_to_transactions(table, view)


def test_dates_among_the_features_are_their_age_at_the_snapshot(tmp_path):
    """A churn extract's 'Last Login' and 'Signup Date' (dd/mm/yyyy): set aside as
    dates, the strongest signal of the table was lost; as days before the snapshot
    (the run's as-of date, or the row's --date) they are features like any other."""
    table = churn_table(400, seed=21)
    as_of = pd.Timestamp("2099-01-01")
    rng = np.random.default_rng(21)
    days = np.where(
        table["Churn"] == "Yes", rng.integers(60, 400, 400), rng.integers(0, 90, 400)
    )
    table["Last Login"] = (as_of - pd.to_timedelta(days, unit="D")).strftime("%d/%m/%Y")
    table.loc[5, "Last Login"] = ""  # never logged in: missing
    path = _write(table, tmp_path / "extract.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    block = yaml_block(draft.parameters)["x"]
    schema = block["schema"]
    assert schema["date_features"] == {"Last Login": "%d/%m/%Y"}
    assert schema["numeric"]["Last Login"] == [None, None]
    assert "Last Login" in block["segmentation"]["features"]
    assert block["feature_labels"] == {"Last Login": "days since Last Login"}
    assert not any("--params as_of=" in n for n in draft.summary)  # dates up to 2099
    read = _entry_rows(draft, "x", path)  # as of 2099-01-01
    expected = pd.Series(days, dtype=float).where(table.index != 5)
    assert read["Last Login"].equals(expected.rename("Last Login"))
    # a nightly file with a date in another format stops the run, naming it
    table.loc[7, "Last Login"] = "2098-12-31"
    _write(table, path)
    with pytest.raises(
        InvalidInputError,
        match=r"'Last Login' has 1 value\(s\) that are no date in the format '%d/%m/%Y'.*'2098-12-31'.*row 8",
    ):
        _entry_rows(draft, "x", path)


def test_an_old_extract_is_told_to_train_as_of_its_date(tmp_path):
    table = churn_table(200, seed=23)
    table["Last Login"] = pd.date_range("2021-01-01", periods=200, freq="D").strftime(
        "%Y-%m-%d"
    )
    path = _write(table, tmp_path / "old.csv")
    draft = draft_tabular("old", path, tmp_path, "customerID", "Churn", "Yes")
    assert any(
        "is 2021-07-19" in n
        and "kedro run --namespaces=old --params as_of=2021-07-19" in n
        for n in draft.summary
    )


def test_a_date_feature_counts_from_each_rows_own_snapshot():
    from risk_segments.schema import as_people_have_it

    table = pd.DataFrame(
        {
            "id": ["a", "a", "b"],
            "month": ["2024-01-31", "2024-02-29", "2024-02-29"],
            "signup": ["2024-01-01", "2024-01-01", "2024-02-28"],
        }
    )
    schema = {
        "id_column": "id",
        "date_column": "month",
        "label_column": None,
        "categorical": {},
        "numeric": {"signup": [None, None]},
        "date_features": {"signup": None},
    }
    read = as_people_have_it(table, schema, "t")
    assert read["signup"].tolist() == [30.0, 59.0, 1.0]


def test_numbers_written_with_a_unit_are_numbers(tmp_path):
    """'8.3 GB' and '12 months' were text: a 1,139-level categorical CatBoost could only
    memorise, and no feature of the segments. The unit is dropped; a nightly value in
    another unit ('2 TB') stops the run instead of reading as 2 GB."""
    table = churn_table(300, seed=22)
    usage = np.round(np.random.default_rng(22).gamma(2, 20, 300), 1)
    table["Monthly usage"] = [f"{u} GB" for u in usage]
    table["Contract length"] = np.resize(["1 month", "12 months", "24 Months"], 300)
    table["Code"] = [f"{1000 + i}A" for i in range(300)]  # an id with a letter: no unit
    # a currency's code before the amount, as payment exports write it
    table["Fee"] = [f"USD {v:.2f}" for v in table["MonthlyCharges"]]
    table["Group"] = [f"GRP {i % 7}" for i in range(300)]  # a code, not a currency
    path = _write(table, tmp_path / "usage.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    schema = yaml_block(draft.parameters)["x"]["schema"]
    assert schema["units"] == {
        "Monthly usage": "gb",
        "Contract length": "month",
        "Fee": "usd",
    }
    assert "Code" not in schema["numeric"] and "Group" in schema["categorical"]
    assert "numbers in GB (the unit dropped)" in draft.parameters
    assert "numbers in USD (the unit dropped)" in draft.parameters
    read = _entry_rows(draft, "x", path)
    assert read["Monthly usage"].tolist() == pytest.approx(usage.tolist())
    assert read["Contract length"].tolist()[:3] == [1, 12, 24]
    assert read["Fee"].tolist() == pytest.approx(table["MonthlyCharges"].round(2))
    table.loc[4, "Monthly usage"] = "2 TB"
    _write(table, path)
    with pytest.raises(InvalidInputError, match=r"Monthly usage.*2 TB"):
        _entry_rows(draft, "x", path)
    table.loc[4, "Monthly usage"] = "2 GB"
    table.loc[5, "Fee"] = "EUR 12.00"  # another currency: not read as dollars
    _write(table, path)
    with pytest.raises(InvalidInputError, match=r"Fee.*EUR 12.00"):
        _entry_rows(draft, "x", path)


def test_numbers_shortened_with_k_m_and_durations_are_numbers(tmp_path):
    """Social and analytics exports write '1.2K' followers and '00:03:25' sessions:
    each was a categorical of a thousand levels ("any text accepted"), no segment
    feature. They read as 1,200 and 205 seconds in the draft and every run; a nightly
    value of another shape stops the run; '5 m' alone stays a unit word (metres)."""
    table = churn_table(300, seed=23)
    rng = np.random.default_rng(23)
    followers = np.round(np.exp(rng.normal(7, 2, 300)))
    table["Followers"] = [
        f"{v / 1e6:.1f}M" if v >= 1e6 else f"{v / 1e3:.1f}K" if v >= 1e3 else f"{v:.0f}"
        for v in followers
    ]
    seconds = rng.integers(5, 5000, 300)
    table["Avg. Session Duration"] = [
        f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in seconds
    ]
    table["Call length"] = [f"{s // 60}:{s % 60:02d}" for s in seconds]  # m:ss
    table["Distance"] = [f"{d} m" for d in rng.integers(1, 900, 300)]
    path = _write(table, tmp_path / "social.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    schema = yaml_block(draft.parameters)["x"]["schema"]
    assert schema["units"] == {
        "Followers": "K/M/B",
        "Avg. Session Duration": "h:mm:ss",
        "Call length": "h:mm:ss",
        "Distance": "m",
    }
    labels = yaml_block(draft.parameters)["x"]["feature_labels"]
    assert labels["Avg. Session Duration"] == "Avg. Session Duration (seconds)"
    read = _entry_rows(draft, "x", path)
    shown = [
        float(t[:-1]) * (1e6 if t[-1] == "M" else 1e3) if t[-1] in "KM" else float(t)
        for t in table["Followers"]
    ]
    assert read["Followers"].tolist() == pytest.approx(shown)
    assert read["Avg. Session Duration"].tolist() == seconds.tolist()
    assert read["Call length"].tolist() == seconds.tolist()
    table.loc[7, "Avg. Session Duration"] = "3 min"
    _write(table, path)
    with pytest.raises(InvalidInputError, match=r"Avg. Session Duration.*3 min"):
        _entry_rows(draft, "x", path)


def test_reading_a_table_as_people_have_it_leaves_the_callers_table_as_it_was():
    from risk_segments.schema import as_people_have_it

    table = pd.DataFrame(
        {
            "id": ["a", "b"],
            "usage": ["8.3 GB", "2 GB"],
            "age": ["31", "unknown"],
            "plan": [1, 2],
            "signup": ["2024-01-01", "2024-02-01"],
            "y": ["Yes", "No"],
            "note": ["x", "y"],
        }
    )
    before = table.copy()
    schema = {
        "id_column": "id",
        "date_column": "snapshot_date",
        "date_in_table": False,
        "as_of": "2024-03-01",
        "label_column": "y",
        "positive_label": "Yes",
        "categorical": {"plan": None},
        "numeric": {"usage": [0, None], "age": [0, None], "signup": [None, None]},
        "units": {"usage": "gb"},
        "missing_codes": {"age": ["unknown"]},
        "date_features": {"signup": None},
        "drop": ["note"],
    }
    read = as_people_have_it(table, schema, "t")
    assert read["usage"].tolist() == [8.3, 2.0] and read["signup"].tolist() == [
        60.0,
        29.0,
    ]
    pd.testing.assert_frame_equal(table, before)


def _workbook(table: pd.DataFrame, path: Path, title_rows: int = 2) -> Path:
    """The table saved as a workbook the way a report tool does: title rows above,
    an empty first column, a Total row below, a second sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Export"
    for i in range(title_rows):
        sheet.append([f"Customer report, part {i + 1}"])
    sheet.append([None, *table.columns])
    for row in table.itertuples(index=False):
        sheet.append([None, *(v.item() if hasattr(v, "item") else v for v in row)])
    sheet.append([None, "Total", *[None] * (len(table.columns) - 1)])
    book.create_sheet("Read me").append(["columns explained"])
    book.save(path)
    return path


def test_a_workbook_is_drafted_and_read_as_its_sheets_table(tmp_path):
    """Ops teams keep their tables in Excel: the sheet's table is found below its title
    rows, the Total row is left out, ids Excel stores as numbers are text, and every
    run reads the workbook itself through the drafted catalog entry."""
    table = churn_table(300, seed=24)
    table["customerID"] = np.arange(5001, 5301)  # numbers in the workbook
    path = _workbook(table, tmp_path / "customers.xlsx")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert (
        "read the sheet 'Export', the first of ['Export', 'Read me']"
        in draft.summary[0]
    )
    assert any("header is row 3 of the sheet" in n for n in draft.summary)
    assert any(
        "1 row(s) that sum the table" in n and "[304]" in n for n in draft.summary
    )
    assert "type: risk_segments.datasets.ExcelTableDataset" in draft.catalog
    read = _entry_rows(draft, "x", path)
    assert read["customerID"].tolist() == [str(i) for i in range(5001, 5301)]
    assert read["tenure"].tolist() == table["tenure"].tolist()
    assert (read["Churn"] == (table["Churn"] == "Yes").astype(int)).all()


def test_older_workbooks_are_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DraftError, match=r"older or other format; save it as \.xlsx"):
        draft_tabular("x", path, tmp_path, "id", "y", "Yes")


def test_thousands_grouped_by_any_kind_of_space_are_one_number(tmp_path):
    """French Excel groups thousands with a narrow no-break space (U+202F), older
    exports with a no-break space (U+00A0). A file holding both had its amounts set
    aside as id-like text; tonight's export in the other one stopped the run on values
    that look right ('1 234,50')."""
    rng = np.random.default_rng(25)
    amounts = rng.uniform(1000, 9999, 300).round(2)
    spaces = np.where(np.arange(300) % 3 == 0, "\u00a0", "\u202f")
    text = [
        f"{int(a) // 1000}{s}{int(a) % 1000:03d},{round(a % 1 * 100):02d}"
        for a, s in zip(amounts, spaces, strict=True)
    ]
    table = pd.DataFrame(
        {
            "id": [f"K{i}" for i in range(300)],
            "montant": text,
            "statut": np.where(np.arange(300) % 4 == 0, "oui", "non"),
        }
    )
    path = tmp_path / "export.csv"
    table.to_csv(path, sep=";", index=False)
    draft = draft_tabular("fr", path, tmp_path, "id", "statut", "oui")
    assert "      montant: [0, null]" in draft.parameters
    read = _entry_rows(draft, "fr", path)
    expected = [int(a) + round(a % 1 * 100) / 100 for a in amounts]
    assert read["montant"].tolist() == pytest.approx(expected)
    # tonight's export in the other space only
    swapped = table.assign(montant=[t.replace("\u202f", "\u00a0") for t in text])
    swapped.to_csv(path, sep=";", index=False)
    assert _entry_rows(draft, "fr", path)["montant"].tolist() == pytest.approx(expected)


def test_an_order_log_workbook_keeps_its_numeric_ids_as_written(tmp_path):
    """Excel keeps customer 1001 as a number, and beside a blank (a guest checkout) the
    column reads as 1001.0: the customer would be '1001.0' in training and '1001' in a
    nightly file without guests."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.drafting import draft_order_log
    from risk_segments.pipelines.data_processing.orders import columns_to_transactions

    log = order_log(150, seed=9)
    number = log["Client Ref"].str.replace("CUST-", "").astype(int) + 1000
    log["Client Ref"] = number.astype(float).where(np.arange(len(log)) % 13 != 0)
    path = tmp_path / "orders.xlsx"
    log.to_excel(path, sheet_name="Orders", index=False, startrow=1)
    draft = draft_order_log("log", path, tmp_path, ORDER_LOG_COLUMNS, horizon_days=90)
    entry = yaml.safe_load(draft.catalog)["log.raw_orders"]
    assert entry["text_columns"] == ["Client Ref", "Basket"]
    rows = DataCatalog.from_config({"t": {**entry, "filepath": str(path)}}).load("t")
    view = yaml.safe_load(draft.parameters)["log"]["customer_view"]
    customers = set(columns_to_transactions(rows, view)["customer_id"])
    assert customers == {str(n) for n in number[np.arange(len(log)) % 13 != 0]}


def test_a_folder_of_monthly_workbooks_is_one_panel(tmp_path):
    """Monthly exports saved from Excel, each file's sheet named after its month: every
    file's first sheet is read (a sheet name taken from the first file would fail on
    the others)."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.schema import validate_table

    folder = tmp_path / "exports"
    folder.mkdir()
    months = ["2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]
    for i, month in enumerate(months):
        table = churn_table(120, seed=26).assign(month=month)
        table.to_excel(folder / f"{month[:7]}.xlsx", sheet_name=f"M{i}", index=False)
    draft = draft_tabular("mx", folder, tmp_path, "customerID", "Churn", "Yes", "month")
    entry = yaml.safe_load(draft.catalog)["mx.raw_table"]
    assert entry["dataset"]["sheet"] is None
    loaded = DataCatalog.from_config({"t": {**entry, "path": str(folder)}}).load("t")
    schema = {**yaml.safe_load(draft.parameters)["mx"]["schema"], "as_of": "2099-01-01"}
    read = validate_table(loaded, schema, "mx.raw_table")
    assert len(read) == 4 * 120 and read["month"].nunique() == 4


def test_codes_written_as_digits_are_categories_not_quantities(tmp_path):
    """A store number, a region code and a zip code are no quantities to average or to
    segment on (a segment of 'high zip code'); counts stay numbers."""
    n = 400
    rows = np.arange(n)
    named = {
        "store_id": rows % 40 + 1,
        "RegionCode": rows % 9 + 1,
        "customer_zip_code_prefix": rows % 97 + 1000,
        "days_since_id_check": rows % 60,  # 'id' inside the name: still a count
        "orders": rows % 12,
        "zipcode_distance_km": rows % 70,  # a distance, not a postal area
    }
    roles = {c: profile_column(pd.Series(v, name=c), n) for c, v in named.items()}
    assert [roles[c].role for c in named] == [
        "categorical", "categorical", "categorical", "numeric", "numeric", "numeric"
    ]  # fmt: skip
    assert roles["store_id"].levels[:3] == ["1", "2", "3"]  # in their order
    assert "a code" in roles["RegionCode"].note

    table = churn_table(n, seed=4)
    table["zip"] = [f"{z:05d}" for z in rows % 50 * 61 + 900]  # '00900', '00961'...
    table["branch"] = np.where(rows % 3 == 0, "07", "12")  # one code in two
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert "zip" in schema["categorical"] and "zip" not in schema["numeric"]
    assert schema["categorical"]["branch"] == ["07", "12"]  # as written, not 7
    read = yaml.safe_load(draft.catalog)["x.raw_table"]["load_args"]["dtype"]
    assert read["zip"] == read["branch"] == "str"  # every run reads '00900' so
    assert (
        "zip" not in yaml.safe_load(draft.parameters)["x"]["segmentation"]["features"]
    )

    typed = tmp_path / "t.parquet"  # zeros kept as text by the file itself
    table.to_parquet(typed)
    draft = draft_tabular("y", typed, tmp_path, "customerID", "Churn")
    assert "zip" in yaml.safe_load(draft.parameters)["y"]["schema"]["categorical"]


def test_a_database_export_writes_null_as_backslash_n(tmp_path):
    r"""MySQL's `SELECT ... INTO OUTFILE` and Postgres' COPY write NULL as \N: a number,
    a level and a label nobody knows, not a word, a third label value or a category."""
    table = churn_table(600, seed=6)
    rows = np.arange(len(table))
    table["MonthlyCharges"] = table["MonthlyCharges"].astype(object)
    table.loc[rows % 3 == 0, "MonthlyCharges"] = "\\N"  # a third: more than words
    table.loc[rows % 7 == 0, "Contract"] = "\\N"
    table.loc[rows % 10 == 0, "Churn"] = "\\N"
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["numeric"]["MonthlyCharges"] == [0, None]
    assert "\\N" not in schema["categorical"]["Contract"]
    assert f"{(rows % 10 == 0).sum()} unlabeled rows" in draft.parameters
    typed = {**schema, "as_of": "2099-01-01"}  # a typed file keeps the text: read alike
    read = as_people_have_it(table, typed, "x.raw_table")
    assert read["MonthlyCharges"].isna().sum() == (rows % 3 == 0).sum()


def test_infinite_ratios_are_drafted_as_missing(tmp_path):
    """A ratio pandas divided by zero upstream is written `inf` / `-inf`: the draft
    stopped on it with a traceback; now every run reads it as missing, and says so."""
    table = churn_table(500, seed=9)
    rows = np.arange(len(table))
    ratio = table["MonthlyCharges"] / (rows % 6)  # a sixth divided by zero
    ratio[rows == 1] = -np.inf
    table["charge_ratio"] = ratio
    infinite = int(np.isinf(ratio).sum())
    assert infinite > 50
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["missing_codes"]["charge_ratio"] == [np.inf, -np.inf]
    assert f"infinite in {infinite} rows" in draft.parameters
    typed = {**schema, "as_of": "2099-01-01"}
    read = as_people_have_it(pd.read_csv(path), typed, "x.raw_table")
    assert read["charge_ratio"].isna().sum() == ratio.isna().sum() + infinite
    assert np.isfinite(read["charge_ratio"].dropna()).all()


def test_an_outcome_recorded_as_its_date_is_positive_where_filled(tmp_path):
    """A churn date, filled where the customer left and blank where not: the draft
    asked for --positive among hundreds of dates; now filled is positive, blank
    negative, and every run reads it so."""
    table = churn_table(800, seed=12)
    left = (table["Churn"] == "Yes").to_numpy()
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(800) % 300, "D")
    table["Churn date"] = np.where(left, days.strftime("%d/%m/%Y"), "")
    path = _write(table.drop(columns=["Churn"]), tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn date")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["positive_when_filled"] is True and "positive_label" not in schema
    assert f"in {left.sum():,} of 800 rows" in draft.parameters
    assert "Churn date" not in schema["numeric"]  # the label, not a date feature
    typed = {**schema, "as_of": "2099-01-01"}
    read = as_people_have_it(pd.read_csv(path), typed, "x.raw_table")
    assert read["Churn date"].tolist() == left.astype(int).tolist()  # none unlabeled


def test_an_outcome_that_is_a_count_is_positive_above_zero(tmp_path):
    """Complaints in the next 90 days (0, 1, 2, ... and blank where not known yet):
    the draft asked for --positive and --negative among the counts, and a 1 and a 3
    could not both be positive without listing every count. A count whose most
    frequent value is 0 is positive above 0; any number takes --positive-above N; a
    word among the numbers stops the run."""
    table = churn_table(900, seed=14)
    counts = np.random.default_rng(14).poisson(0.6, 900).astype(object)
    counts[-100:] = ""
    table["Complaints 90d"] = counts
    path = _write(table.drop(columns=["Churn"]), tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Complaints 90d")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["positive_above"] == 0 and "positive_label" not in schema
    read = _entry_rows(draft, "x", path)
    expected = [float(c > 0) for c in counts[:-100]]
    assert read["Complaints 90d"].iloc[:-100].astype(float).tolist() == expected
    assert read["Complaints 90d"].iloc[-100:].isna().all()  # blank: unlabeled
    above = draft_tabular("y", path, tmp_path, "customerID", "Complaints 90d", above=1)
    assert yaml.safe_load(above.parameters)["y"]["schema"]["positive_above"] == 1
    spend = table.assign(Spend=np.round(np.linspace(1, 500, 900), 2))
    spent = _write(spend.drop(columns=["Churn", "Complaints 90d"]), tmp_path / "s.csv")
    with pytest.raises(DraftError, match="a number: give --positive-above N"):
        draft_tabular("z", spent, tmp_path, "customerID", "Spend")
    counts[5] = "unknown"
    _write(table.assign(**{"Complaints 90d": counts}).drop(columns=["Churn"]), path)
    with pytest.raises(
        InvalidInputError, match=r"'Complaints 90d'.*no number.*'unknown'"
    ):
        _entry_rows(draft, "x", path)


@pytest.mark.parametrize("name", ["nightly.parquet", "nightly.csv"])
def test_a_csv_entry_pointed_at_a_parquet_file_says_what_to_set(tmp_path, name):
    """The nightly entry pointed at a parquet file (named so, or not): the load failed
    with "'utf-8' codec can't decode byte 0xc0"; now it names the entry type to set."""
    from kedro.io import DatasetError

    from risk_segments.datasets import CSVTableDataset

    path = tmp_path / name
    churn_table(50, seed=1).to_parquet(path)
    dataset = CSVTableDataset(filepath=str(path), load_args={"sep": ","})
    with pytest.raises(
        DatasetError, match=r"it is a parquet file.*pandas\.ParquetDataset"
    ):
        dataset.load()


def test_digits_grouped_by_apostrophes_are_numbers(tmp_path):
    """A Swiss export writes 1'234.50 (or typeset, 1’234.50): the balance, the table's
    strongest column, was set aside as free text."""
    table = churn_table(600, seed=14)
    amounts = table["MonthlyCharges"].to_numpy() * 137.5
    marks = np.where(np.arange(600) % 5 == 0, "\u2019", "'")  # some typeset
    table["Saldo"] = [
        f"{v:,.2f}".replace(",", m) for v, m in zip(amounts, marks, strict=True)
    ]
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False, sep=";")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert "Saldo" in schema["numeric"]
    typed = {**schema, "as_of": "2099-01-01"}
    load_args = yaml.safe_load(draft.catalog)["x.raw_table"]["load_args"]
    read = as_people_have_it(pd.read_csv(path, **load_args), typed, "x.raw_table")
    assert read["Saldo"].astype(float).round(2).tolist() == list(np.round(amounts, 2))


def test_timestamps_with_their_zone_as_a_word_are_read(tmp_path):
    """BigQuery and Looker write '2024-03-05 14:22:11.123456 UTC', and drop the fraction
    when it is zero: inferred from the first value, every other time was unreadable."""
    from risk_segments.schema import read_dates, times_from_text

    stamps = pd.Series(
        [
            "2024-03-05 14:22:11.123456 UTC",
            "2024-03-06 01:02:03 UTC",
            None,
            "2024-03-07",
        ]
    )
    expected = pd.to_datetime(
        ["2024-03-05 14:22:11.123456", "2024-03-06 01:02:03", None, "2024-03-07"],
        format="ISO8601",
    )
    assert read_dates(stamps).tolist() == expected.tolist()
    zoned = times_from_text(stamps.astype("string"), None).dt.tz_localize(None)
    assert zoned.tolist() == expected.tolist()
    assert date_format_of(stamps.dropna()) == (None, "ISO 8601")
    table = churn_table(300, seed=19)  # a last login as the warehouse exports it
    seconds = pd.to_timedelta(np.arange(300) * 3607, unit="s")
    logins = pd.Timestamp("2024-06-01") + seconds
    table["last_login"] = [
        f"{t:%Y-%m-%d %H:%M:%S}" + (".5" if i % 2 else "") + " UTC"
        for i, t in enumerate(logins)
    ]
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["date_features"] == {"last_login": None}  # ISO 8601
    read = as_people_have_it(
        pd.read_csv(path), {**schema, "as_of": "2024-07-01"}, "x.raw_table"
    )
    assert read["last_login"].notna().all()


def test_levels_padded_with_blanks_are_the_levels_the_draft_listed(tmp_path):
    """A database's CHAR column pads its text ('Month-to-month '): the draft listed the
    levels without the blanks and the run then stopped on every padded row."""
    table = churn_table(400, seed=20)
    padded = np.arange(400) % 3 == 0
    table["Contract"] = np.where(padded, table["Contract"] + "  ", table["Contract"])
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    levels = yaml.safe_load(draft.parameters)["x"]["schema"]["categorical"]
    assert levels["Contract"] == ["Month-to-month", "One year", "Two year"]
    read = _entry_rows(draft, "x", path)  # checked by the run's schema: no stop
    assert read["Contract"].tolist() == table["Contract"].str.strip().tolist()


def test_spreadsheet_formula_errors_are_no_values(tmp_path):
    """`#DIV/0!` in 12% of a ratio (its digit kept it from the words that stand for
    none) made a 600-level categorical; Excel's errors are missing, as #N/A was."""
    table = churn_table(500, seed=21)
    ratio = np.round(table["MonthlyCharges"] / 7, 3).astype(object)
    ratio[::8], ratio[3::50] = "#DIV/0!", "#VALUE!"
    table["ratio"] = ratio
    path = _write(table, tmp_path / "t.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert "ratio" in schema["numeric"]
    errors = ratio.isin(["#DIV/0!", "#VALUE!"])
    typed = {**schema, "as_of": "2099-01-01"}  # a parquet file keeps them as text
    read = as_people_have_it(table, typed, "x.raw_table")
    assert read["ratio"].isna().tolist() == errors.tolist()


def test_nested_parquet_columns_are_set_aside_and_said(tmp_path):
    """Spark and BigQuery write records and lists into parquet (struct, list columns):
    the draft stopped on them with "unhashable type: 'dict'"."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = churn_table(300, seed=22)
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.append_column(
        "address", pa.array([{"city": "Rome", "zip": f"{i:05d}"} for i in range(300)])
    ).append_column("tags", pa.array([["vip"] * (i % 3) for i in range(300)]))
    path = tmp_path / "t.parquet"
    pq.write_table(arrow, path)
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert {"address", "tags"} <= set(schema["drop"])
    assert any(n.startswith("address: nested values (records") for n in draft.summary)
    read = as_people_have_it(
        pd.read_parquet(path), {**schema, "as_of": "2099-01-01"}, "x.raw_table"
    )
    assert "address" not in read.columns and len(read) == 300


def test_a_wide_table_is_read_without_a_fragmentation_warning():
    """130 numeric columns written as text and a table without a date column: the
    snapshot date, inserted after every column was replaced, made pandas warn of a
    "highly fragmented" frame in every run's log."""
    n = 200
    table = pd.DataFrame({f"c{i}": np.arange(n).astype(str) for i in range(130)})
    table["id"], table["y"] = np.arange(n).astype(str), np.arange(n) % 2
    schema = {
        "id_column": "id",
        "date_column": "snapshot_date",
        "date_in_table": False,
        "label_column": "y",
        "numeric": {f"c{i}": [None, None] for i in range(130)},
        "categorical": {},
        "as_of": "2024-01-01",
    }
    from risk_segments.modeling.features import build_model_input

    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        read = as_people_have_it(table, schema, "x.raw_table")
        # as the nightly batch reads it: the label left out unread, added back empty
        nightly = as_people_have_it(table, {**schema, "drop": ["y"]}, "x.score_input")
        rows = build_model_input(nightly, schema, None)
    assert (read["snapshot_date"] == pd.Timestamp("2024-01-01")).all()
    assert read["c7"].tolist() == list(range(n))
    assert rows["y"].isna().all() and len(rows) == n


def test_negatives_with_the_typeset_minus_sign_are_numbers(tmp_path):
    """Swedish and Finnish exports write −1 234,50 (U+2212, not '-'): the balance was
    read as text."""
    whole = churn_table(400, seed=23)
    table = whole[["customerID", "tenure", "Churn"]].copy()  # written as a Swede would
    balance = (whole["MonthlyCharges"].to_numpy() - 60) * 37.5
    table["saldo"] = [
        f"{v:,.2f}".replace(",", " ").replace(".", ",").replace("-", "\u2212")
        for v in balance
    ]
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False, sep=";")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn")
    schema = yaml.safe_load(draft.parameters)["x"]["schema"]
    assert schema["numeric"]["saldo"] == [None, None]  # negatives and positives
    load_args = yaml.safe_load(draft.catalog)["x.raw_table"]["load_args"]
    typed = {**schema, "as_of": "2099-01-01"}
    read = as_people_have_it(pd.read_csv(path, **load_args), typed, "x.raw_table")
    assert read["saldo"].astype(float).round(2).tolist() == list(np.round(balance, 2))


def test_a_workbook_with_a_sheet_per_month_is_one_order_log(tmp_path):
    """A small shop keeps its orders in one workbook, a sheet per month: only the first
    sheet was read (a third of the history), said in a note but easy to miss."""
    import yaml
    from kedro.io import DataCatalog

    from risk_segments.drafting import draft_order_log

    log = order_log(200, seed=11)
    month = pd.to_datetime(log["Purchased At"]).dt.month
    parts = np.array_split(np.argsort(month.to_numpy(), kind="stable"), 3)
    path = tmp_path / "orders.xlsx"
    with pd.ExcelWriter(path) as book:
        for k, rows in enumerate(parts):
            log.iloc[rows].to_excel(book, sheet_name=f"Part {k + 1}", index=False)
    draft = draft_order_log("log", path, tmp_path, ORDER_LOG_COLUMNS, horizon_days=90)
    entry = yaml.safe_load(draft.catalog)["log.raw_orders"]
    assert entry["sheet"] == "*"
    assert any("read the 3 sheets" in n for n in draft.summary)
    rows = DataCatalog.from_config({"t": {**entry, "filepath": str(path)}}).load("t")
    assert len(rows) == len(log)
    # a sheet of other columns (a summary): the first sheet alone, as before
    with pd.ExcelWriter(path, mode="a") as book:
        pd.DataFrame({"month": [1], "revenue": [10.0]}).to_excel(book, sheet_name="S")
    draft = draft_order_log("log", path, tmp_path, ORDER_LOG_COLUMNS, horizon_days=90)
    assert yaml.safe_load(draft.catalog)["log.raw_orders"]["sheet"] == "Part 1"


def test_a_table_of_only_an_id_and_a_label_says_so(tmp_path):
    """The message read "every column was set aside ()": there was none to set aside."""
    table = churn_table(200, seed=15)[["customerID", "Churn"]]
    path = _write(table, tmp_path / "two.csv")
    with pytest.raises(DraftError, match=r"holds only \['Churn', 'customerID'\]"):
        draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")


def test_a_csv_named_xls_is_read_as_the_text_it_is(tmp_path):
    """Many "export to Excel" buttons write CSV or tab-separated text named .xls: the
    draft refused it as "a workbook in an older format". A real .xls (or an HTML page
    named so) is still refused, by what it is."""
    table = churn_table(300, seed=16)
    path = tmp_path / "export.xls"
    table.to_csv(path, index=False, sep="\t")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    assert any("is text, not a workbook" in line for line in draft.summary)
    assert len(_entry_rows(draft, "x", path)) == 300
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(DraftError, match="a workbook in an older or other format"):
        draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    path.write_text("<html><body><table><tr><td>customerID</td></tr></table>")
    with pytest.raises(DraftError, match="an HTML or XML page"):
        draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")


def test_columns_named_by_month_read_as_months_before_the_newest(tmp_path):
    """A report pivoted wide (spend_2024_01 ... spend_2024_06): drafted as it stood, the
    model learnt those very months, and next month's file (spend_2024_02 ...
    spend_2024_07) stopped the run for six missing columns. They read as months before
    the newest (spend_m5 ... spend_m0), in the draft and every run."""
    table = churn_table(300, seed=17)
    rng = np.random.default_rng(17)
    spend = rng.gamma(2, 30, (300, 7)).round(2)
    months = [f"2024_0{m}" for m in range(1, 8)]
    drafted = table.assign(
        **{f"spend_{m}": spend[:, k] for k, m in enumerate(months[:6])}
    )
    path = _write(drafted, tmp_path / "report.csv")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    numeric = yaml.safe_load(draft.parameters)["x"]["schema"]["numeric"]
    assert {f"spend_m{k}" for k in range(6)} <= set(numeric)
    assert not any(name.startswith("spend_2024") for name in numeric)
    assert any("named by month" in line for line in draft.summary)
    later = table.assign(
        **{f"spend_{m}": spend[:, k] for k, m in enumerate(months) if k}
    )
    read = _entry_rows(draft, "x", _write(later, tmp_path / "next.csv"))
    assert read["spend_m0"].tolist() == spend[:, 6].tolist()  # July, the newest
    assert read["spend_m5"].tolist() == spend[:, 1].tolist()


def test_records_inside_an_api_envelope_are_the_table(tmp_path):
    """`{"data": [...], "meta": {...}}`, as paginated APIs answer: the draft stopped
    ("Mixing dicts with non-Series"); `{"results": [...]}` became columns named
    results.customerID. The one list of objects is the table, in the draft and every
    run, with or without a byte-order mark; two such lists stop with both named."""
    import json

    table = churn_table(200, seed=18)
    records = json.loads(table.to_json(orient="records"))
    path = tmp_path / "page.json"
    envelope = {"data": records, "meta": {"page": 1, "total": 200}}
    path.write_text(json.dumps(envelope), encoding="utf-8-sig")
    draft = draft_tabular("x", path, tmp_path, "customerID", "Churn", "Yes")
    read = _entry_rows(draft, "x", path)
    assert read["customerID"].tolist() == table["customerID"].tolist()
    path.write_text(json.dumps({"results": records}))
    assert len(_entry_rows(draft, "x", path)) == 200
    path.write_text(json.dumps({"data": records, "errors": [{"code": 1}]}))
    with pytest.raises(DraftError, match=r"holds 2 \(\['data', 'errors'\]\)"):
        draft_tabular("y", path, tmp_path, "customerID", "Churn", "Yes")
