"""A program written the way the klaviyo-sdk 1.0.9 README wrote it. The tests run it
unchanged but for its import lines (or with no change at all, after install())."""

import json
import os
import sys

from klaviyo_sdk import Client
from swagger_client.rest import ApiException

client = Client(os.environ["PRIVATE"], max_delay=60, max_retries=3)

results = {}
results["track"] = client.TrackIdentify.track_post(
    data={
        "token": os.environ["PUBLIC"],
        "event": "Ordered Product",
        "customer_properties": {"$email": "abraham.lincoln@klaviyo.com"},
        "properties": {"item_name": "Boots", "$value": 100},
    }
)
results["lists"] = client.ListsSegments.get_lists()
results["subscribed"] = client.ListsSegments.subscribe(
    os.environ["LIST_ID"], body={"profiles": [{"email": "george.washington@klaviyo.com"}]}
)
results["unsubscribe"] = client.ListsSegments.unsubscribe(
    os.environ["LIST_ID"], body={"emails": ["george.washington@klaviyo.com"]}
)
results["profile_id"] = (
    client.Profiles.get_profile_id(email="abraham.lincoln@klaviyo.com").id is not None
)
try:
    client.ListsSegments.get_list_info("NoSuchList")
except ApiException as error:
    results["api_error"] = [error.status, json.loads(error.body)["status"]]
try:
    client.ListsSegments.get_list_info()
except ValueError as error:
    results["missing"] = str(error)
try:
    client.ListsSegments.get_lists(page=2)
except TypeError as error:
    results["unknown"] = str(error)

json.dump(results, sys.stdout)
