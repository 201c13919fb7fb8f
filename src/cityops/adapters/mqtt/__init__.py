"""MQTT (paho-mqtt 2.x): the device-event consumer."""
