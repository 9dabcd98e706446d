"""A small new-API client for the LocalKlaviyo tests: the documented headers, and every
answer checked against the spec (a success against the operation's response schema, an
error as a JSON:API error document)."""

from __future__ import annotations

from typing import Any, Optional

import requests

from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.spec import SpecValidator

REVISION = "2026-07-15"


class Answer:
    """Status and JSON body of one answer."""

    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        self.body: Any = response.json() if response.content else None
        self.text = response.text

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def error(self) -> dict[str, Any]:
        (item,) = self.body["errors"]
        return dict(item)


class Api:
    """Requests to a LocalKlaviyo whose answers must fit the spec."""

    def __init__(self, server: LocalKlaviyo, spec: SpecValidator) -> None:
        self.server = server
        self.spec = spec
        self.session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[dict[str, str]] = None,
    ) -> Answer:
        headers = {
            "Accept": "application/vnd.api+json",
            "revision": REVISION,
            "Authorization": f"Klaviyo-API-Key {self.server.private_key}",
        }
        if json is not None:
            headers["Content-Type"] = "application/vnd.api+json"
        response = self.session.request(
            method,
            self.server.base_url + path,
            json=json,
            params=params,
            headers=headers,
            timeout=10,
        )
        answer = Answer(response)
        operation = self.server.requests[-1].operation
        assert operation is not None, path
        if answer.status < 300:
            sparse = any(name.startswith("fields[") for name in params or {})
            problems = self.spec.response_problems(
                operation, answer.status, answer.body, sparse=sparse
            )
            assert not problems, f"{method} {path}: " + "; ".join(problems)
        else:
            item = answer.error
            assert {"id", "code", "title", "detail"} <= set(item), item
        return answer

    def get(self, path: str, **params: str) -> Answer:
        return self.call("GET", path, params=params or None)

    def post(self, path: str, body: Any) -> Answer:
        return self.call("POST", path, json=body)

    def patch(self, path: str, body: Any) -> Answer:
        return self.call("PATCH", path, json=body)

    def delete(self, path: str) -> Answer:
        return self.call("DELETE", path)

    def close(self) -> None:
        self.session.close()
