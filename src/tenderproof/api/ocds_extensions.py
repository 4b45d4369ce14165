"""tenderproof's own OCDS extensions, served where every package declares them
(`/api/ocds/extensions/<name>/<file>`, ocds.extensions), so that a validator such as libcoveocds
reads the extended schema from the installation that published the data. Public, no token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from tenderproof.ocds.extensions import EXTENSIONS, FILES, MEDIA_TYPES, extension_file

router = APIRouter(tags=["ocds"])

Name = Annotated[str, Path(max_length=100, description="One of: " + ", ".join(EXTENSIONS))]
File = Annotated[str, Path(max_length=100, description="One of: " + ", ".join(FILES))]


@router.get("/ocds/extensions/{name}/{file}", summary="A file of one of tenderproof's OCDS extensions",
            response_class=Response, responses={200: {"content": {t.split(";")[0]: {"schema": {"type": "string"}}
                                                                  for t in MEDIA_TYPES.values()}}})
def extension(name: Name, file: File) -> Response:
    data = extension_file(name, file)
    if data is None:
        raise HTTPException(404, f"no file {file!r} in an OCDS extension {name!r} of this installation")
    media_type = MEDIA_TYPES[file.rsplit(".", 1)[-1]]
    # The files ship with the code: they change only with a new release of tenderproof.
    return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})
