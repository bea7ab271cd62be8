"""The GitHub side: REST client, the Actions runner side, artifact baselines."""
