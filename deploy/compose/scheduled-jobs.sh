#!/bin/sh
# The scheduled jobs of the compose deployment (the systemd timers' in deploy/systemd): queued
# mail every 5 minutes; CISA's KEV catalog at 05:30 and reminders at 06:15 (UTC), once a day each.
# A job that fails is logged and tried again at its next turn.
feed=${KEV_FEED:-https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json}
done_reminders="" done_kev=""
while :; do
  flask mail send-pending || echo "jobs: mail send-pending failed" >&2
  today=$(date -u +%F) now=$(date -u +%H%M)
  if [ "$now" -ge 0530 ] && [ "$done_kev" != "$today" ]; then
    { flask kev import "$feed" && flask kev notify; } || echo "jobs: kev import failed" >&2
    done_kev=$today
  fi
  if [ "$now" -ge 0615 ] && [ "$done_reminders" != "$today" ]; then
    flask reminders send || echo "jobs: reminders send failed" >&2
    done_reminders=$today
  fi
  sleep 300
done
