"""The demo team's SLA: office hours in London, a Tokyo desk for Technical, tighter targets for
urgent and high priority work, and escalation when a target is missed."""

from __future__ import annotations

from typing import Any

DEMO_SLA: dict[str, Any] = {
    "calendars": [
        {
            "name": "London office",
            "timezone": "Europe/London",
            "hours": {"mon-fri": "08:30-17:30"},
            "country": "GB",
        },
        {
            "name": "Tokyo office",
            "timezone": "Asia/Tokyo",
            "hours": {"mon-fri": "09:00-12:00, 13:00-18:00"},
            "country": "JP",
        },
        {"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}},
    ],
    "policies": [
        {
            "name": "Urgent",
            "priorities": ["urgent"],
            "calendar": "24/7",
            "targets": [
                {"kind": "first_response", "minutes": 60, "business_hours": False},
                {"kind": "next_response", "minutes": 120, "business_hours": False},
                {"kind": "resolution", "minutes": 480, "business_hours": False},
            ],
            "escalation": {"notify_leads": True},
        },
        {
            "name": "Technical",
            "departments": ["Technical"],
            "calendar": "Tokyo office",
            "targets": [
                {"kind": "first_response", "minutes": 240, "business_hours": True},
                {"kind": "next_response", "minutes": 480, "business_hours": True},
                {"kind": "resolution", "minutes": 2400, "business_hours": True},
            ],
            "escalation": {
                "breach_of": ["first_response"],
                "raise_priority": "one_step",
                "notify_leads": True,
            },
        },
        {
            "name": "High",
            "priorities": ["high"],
            "calendar": "London office",
            "targets": [
                {"kind": "first_response", "minutes": 120, "business_hours": True},
                {"kind": "next_response", "minutes": 240, "business_hours": True},
                {"kind": "resolution", "minutes": 1080, "business_hours": True},
            ],
            "escalation": {"breach_of": ["first_response", "resolution"], "notify_leads": True},
        },
        {
            "name": "Standard",
            "calendar": "London office",
            "targets": [
                {"kind": "first_response", "minutes": 480, "business_hours": True},
                {"kind": "next_response", "minutes": 960, "business_hours": True},
                {"kind": "resolution", "minutes": 2700, "business_hours": True},
            ],
            # Left unanswered past its first-response time, a ticket moves up the queue.
            "escalation": {"breach_of": ["first_response"], "raise_priority": "one_step"},
        },
    ],
}
