"""Path parameter types shared by routers."""

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

from target_app.database import SEED_ROWS, fits_sqlite_integer

# Id of a row in a table that POST /api/db/seed fills with ids 1..SEED_ROWS. The schema's
# maximum is a hint for load generators to cycle over; it is not enforced, because rows written
# later get higher ids and must stay readable (and unknown ids answer 404, not 422).
SeededId = Annotated[
    int,
    Path(
        ge=1,
        examples=[42],
        json_schema_extra={"maximum": SEED_ROWS},
        description=f"Seeded ids are 1..{SEED_ROWS}; rows written later have higher ids.",
    ),
    AfterValidator(fits_sqlite_integer),
]
