exports.handler = async () => require("resolve").sync("function-bind");
