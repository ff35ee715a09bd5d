// The print view's one script: the 打印 button (inline handlers are forbidden by the CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
