// The live page's WebRTC path: the microphone as an audio track of a peer
// connection to the API (Opus over SRTP), the words on the session's control
// socket. The offer is sent once every candidate is gathered, and the answer
// carries all of the API's: no trickle either way.
'use strict';
(function () {
  var BASE = '/v1/modules/scaiecho/stream/transcribe/webrtc/sessions';

  function gathered(pc) {
    return new Promise(function (resolve) {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', function () {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
  }

  async function refusal(res) {
    var body = await res.json().catch(function () { return null; });
    return new Error(body && body.error ? body.error.code + ': ' + body.error.message : 'HTTP ' + res.status);
  }

  /** Opens a session; `onFrame` gets every frame of the control socket, `onGone` its close. */
  async function start(token, onFrame, onGone) {
    var media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    var pc = new RTCPeerConnection();
    media.getAudioTracks().forEach(function (track) { pc.addTrack(track, media); });
    var cleanup = function () {
      media.getTracks().forEach(function (t) { t.stop(); });
      pc.close();
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      var res = await fetch(BASE, {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ sdp: pc.localDescription.sdp, language: 'en' }),
      });
      if (!res.ok) throw await refusal(res);
      var session = (await res.json()).data;
      await pc.setRemoteDescription({ type: 'answer', sdp: session.sdp });
    } catch (err) {
      cleanup();
      throw err;
    }
    var scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    var ws = new WebSocket(scheme + '://' + location.host + session.events_url + '?access_token=' + encodeURIComponent(token));
    ws.onmessage = function (event) { onFrame(JSON.parse(event.data)); };
    ws.onclose = function (event) {
      cleanup();
      onGone(event);
    };
    document.body.dataset.webrtcSession = session.session_id;
    return {
      /** DELETE drains the session: the last final and the closed frame come on the control socket, then it closes. */
      stop: function () {
        fetch(BASE + '/' + session.session_id, { method: 'DELETE', headers: { Authorization: 'Bearer ' + token } });
      },
      abandon: cleanup,
    };
  }

  window.liveWebrtc = { start: start };
})();
