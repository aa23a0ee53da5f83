"""rlroute.data: call records in, one canonical table out, with a report of every fix.

Load with :func:`read_technion_log` (the Technion SEE log format of the Anonymous Bank data)
or :func:`read_call_records` (CSV/Parquet in, or mapped onto, the canonical schema). Both
return :class:`CallRecords`: the canonical frame (:mod:`rlroute.data.schema`) and a
:class:`CleaningReport` that accounts for every row. Bad input raises
:class:`CallRecordsError` naming the file, the column and a line.
"""

from rlroute.data.calendar import DAY_TYPES, day_type, day_types
from rlroute.data.errors import CallRecordsError
from rlroute.data.loaders import read_call_records, write_call_records
from rlroute.data.records import CallRecords
from rlroute.data.report import CleaningReport, ReasonCount
from rlroute.data.schema import CANONICAL_COLUMNS, OUTCOMES, canonical_dtypes, empty_frame
from rlroute.data.technion import TECHNION_COLUMNS, read_technion_log
from rlroute.data.validate import check_canonical, require_canonical

__all__ = [
    "CANONICAL_COLUMNS",
    "DAY_TYPES",
    "OUTCOMES",
    "TECHNION_COLUMNS",
    "CallRecords",
    "CallRecordsError",
    "CleaningReport",
    "ReasonCount",
    "canonical_dtypes",
    "check_canonical",
    "day_type",
    "day_types",
    "empty_frame",
    "read_call_records",
    "read_technion_log",
    "require_canonical",
    "write_call_records",
]
