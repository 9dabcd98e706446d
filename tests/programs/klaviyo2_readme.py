"""A program written the way the klaviyo 2.0.4 README wrote it (the flat 2.x surface, with
api_server pointing at the server). The tests run it with no change at all, after install()."""

import json
import os
import sys

import klaviyo

client = klaviyo.Klaviyo(
    public_token=os.environ["PUBLIC"],
    private_token=os.environ["PRIVATE"],
    api_server=os.environ["API_SERVER"],
)
list_id = os.environ["LIST_ID"]

results = {}
results["track"] = client.track(
    "Filled out profile",
    email="someone@example.com",
    properties={"Added social accounts": False},
    customer_properties={"$first_name": "Thomas", "$last_name": "Jefferson"},
)
results["identify"] = client.identify(
    email="thomas.jefferson@example.com",
    properties={
        "$first_name": "Thomas",
        "$last_name": "Jefferson",
        "Plan": "Premium",
    },
)
results["lists"] = client.lists()
created = client.lists(list_name="VIP", method="POST")
results["list"] = client.list(created["list_id"])["list_name"]
results["renamed"] = client.list(created["list_id"], list_name="VIP customers", method="PUT")
results["deleted"] = client.list(created["list_id"], method="DELETE")
subscribed = client.list_subscription(
    list_id,
    [{"email": "george.washington@example.com"}, {"email": "john.adams@example.com"}],
    method="POST",
)
results["subscribed"] = sorted(member["email"] for member in subscribed)
results["unsubscribe"] = client.unsubscribe_from_list(list_id, ["john.adams@example.com"])
members = client.all_members(list_id)["records"]
results["members"] = [member["email"] for member in members]
results["person"] = client.get_profile(members[0]["id"])["$email"]
try:
    client.identify()
except klaviyo.KlaviyoException as error:
    results["local_error"] = str(error)
results["api_error"] = client.list("NoSuchList")["status"]  # returned, as 2.0.4 did

json.dump(results, sys.stdout)
