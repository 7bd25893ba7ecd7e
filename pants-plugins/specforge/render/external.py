"""The models of an external API (`services/<svc>/spec/<api>.openapi.yaml`), rendered by
datamodel-code-generator: the tool made for OpenAPI documents written elsewhere, whose schemas
use more of JSON Schema than the spec language does. Its output goes through the same ruff
formatting as every generated module; the client for the API's operations comes from the
clients renderer (`render.clients`), with the same retries and typed errors."""

from __future__ import annotations

import warnings

from specforge import ir, layout
from specforge.errors import Location, SpecError, SpecErrors
from specforge.numeric import shown
from specforge.render.common import header


def render_external(api: ir.ExternalApi) -> tuple[str, str]:
    # Imported here: only services that consume an external API pay for importing it.
    from datamodel_code_generator import InputFileType, PythonVersion
    from datamodel_code_generator import generate as _generate
    from datamodel_code_generator.enums import DataModelType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notices of future defaults, not of this document
        try:
            source = _generate(
                api.text,
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_311,
                use_annotated=True,
                field_constraints=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_double_quotes=True,
                disable_timestamp=True,
                formatters=[],
                custom_file_header=str(header(api.file)),
            )
        except Exception as e:  # whatever the tool refuses is the document's error, located
            message = f"datamodel-code-generator cannot render its schemas: {shown(str(e), 300)}"
            raise SpecErrors([SpecError(Location(api.file), "", message)]) from e
    if not isinstance(source, str) or not source.strip():
        message = "datamodel-code-generator rendered nothing from it (does it have schemas?)"
        raise SpecErrors([SpecError(Location(api.file), "", message)])
    return layout.module_path(layout.external_module(api.service, api.name), api.service), source


def external_problems(project: ir.Project) -> list[SpecError]:
    """Why datamodel-code-generator cannot render an external API's schemas, for `check`
    (which must fail where generation would)."""
    errors: list[SpecError] = []
    for api in project.external_apis:
        try:
            render_external(api)
        except SpecErrors as e:
            errors += e.errors
    return errors
