"""The privacy app's logic: plain functions the page, the admin and the tasks call."""
