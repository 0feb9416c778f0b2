// The drawing page: pointer events (mouse, pen, touch) on a canvas → POST /v1/predict.
"use strict";

(() => {
  const canvas = document.getElementById("canvas");
  const context = canvas.getContext("2d");
  const predictButton = document.getElementById("predict");
  const clearButton = document.getElementById("clear");
  const digitOutput = document.getElementById("digit");
  const confidenceText = document.getElementById("confidence");
  const statusText = document.getElementById("status");
  const barsBox = document.getElementById("bars");

  let drawing = false;
  let last = null;
  let hasInk = false;

  // Dark strokes on a transparent canvas; the service composites transparency onto white.
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  context.lineWidth = canvas.width / 14;

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * canvas.width) / rect.width,
      y: ((event.clientY - rect.top) * canvas.height) / rect.height,
    };
  }

  function strokeTo(next) {
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    hasInk = true;
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    strokeTo(last); // a tap leaves a dot
  });
  canvas.addEventListener("pointermove", (event) => {
    if (drawing) strokeTo(point(event));
  });
  for (const name of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(name, () => {
      drawing = false;
      last = null;
    });
  }

  function buildBars() {
    barsBox.replaceChildren();
    for (let digit = 0; digit < 10; digit += 1) {
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.dataset.digit = String(digit);
      const value = document.createElement("span");
      value.className = "value";
      const fill = document.createElement("div");
      fill.className = "fill";
      fill.style.height = "0%";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = String(digit);
      bar.append(value, fill, name);
      barsBox.append(bar);
    }
  }

  function showResult(result) {
    digitOutput.textContent = String(result.digit);
    confidenceText.textContent = `${(result.confidence * 100).toFixed(1)}% sure`;
    statusText.textContent = result.uncertain ? "Not sure — try drawing it larger or clearer." : "";
    statusText.classList.remove("error");
    result.probabilities.forEach((probability, digit) => {
      const bar = barsBox.children[digit];
      bar.classList.toggle("top", digit === result.digit);
      bar.querySelector(".fill").style.height = `${(probability * 100).toFixed(1)}%`;
      bar.querySelector(".value").textContent = `${Math.round(probability * 100)}%`;
      bar.title = `${digit}: ${(probability * 100).toFixed(2)}%`;
    });
  }

  function showError(message) {
    statusText.textContent = message;
    statusText.classList.add("error");
  }

  function clear() {
    context.clearRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    digitOutput.textContent = "–";
    confidenceText.textContent = "";
    statusText.textContent = "";
    statusText.classList.remove("error");
    buildBars();
  }

  async function predict() {
    if (!hasInk) {
      showError("Draw a digit first.");
      return;
    }
    predictButton.disabled = true;
    try {
      const response = await fetch("/v1/predict?top_k=3", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ image: canvas.toDataURL("image/png") }),
      });
      const body = await response.json();
      if (!response.ok) {
        showError(body.detail || `The service answered ${response.status}.`);
        return;
      }
      showResult(body);
    } catch (error) {
      showError(`Could not reach the service: ${error.message}`);
    } finally {
      predictButton.disabled = false;
    }
  }

  predictButton.addEventListener("click", predict);
  clearButton.addEventListener("click", clear);
  buildBars();
})();
