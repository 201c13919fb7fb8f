// Duty on the phone: report the member's position (when the phone allows it) every few minutes,
// and fill the position into the patrol report form. The server keeps every position and flags odd ones.
(function () {
  if (!("geolocation" in navigator)) return;
  var EVERY = 5 * 60 * 1000;
  function send(pos) {
    var lat = pos.coords.latitude.toFixed(6), lng = pos.coords.longitude.toFixed(6);
    var la = document.getElementById("patrol-lat"), ln = document.getElementById("patrol-lng");
    if (la && ln) {
      la.value = lat; ln.value = lng;
      var p = document.getElementById("patrol-pos");
      if (p) p.textContent = lat + ", " + lng;
    }
    if (!document.getElementById("duty-report-position")) return;
    var body = new URLSearchParams({lat: lat, lng: lng});
    fetch("/duty/position", {method: "POST", body: body, credentials: "same-origin",
                             headers: {"X-Requested-With": "fetch"}}).catch(function () {});
  }
  function ask() { navigator.geolocation.getCurrentPosition(send, function () {}, {maximumAge: 60000, timeout: 20000}); }
  ask();
  setInterval(ask, EVERY);
})();
